//! The catalog's answers, cached in process: the now-showing list, movies, showtimes.
//!
//! Every visitor reads the same catalog, and it changes rarely (the demo's daily top-up, a
//! staff edit), so answers are kept for `CATALOG_CACHE_TTL_SECS` (`CATALOG_CACHE_SIZE` movies
//! and as many showtimes, the least recently used going first), and forgotten at once when a
//! change is announced ([`changes`](super::changes)). The TTL still matters without changes:
//! the lists only show showtimes that have not started, and time moves on.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::app::catalog::{MovieCard, ShowtimeDetail};
use crate::app::error::AppError;
use crate::server::cache::{BoundedCache, Lookup};
use crate::server::telemetry::metrics;

#[derive(Clone)]
pub struct CatalogCache {
    now_showing: BoundedCache<(), Arc<Vec<MovieCard>>>,
    movies: BoundedCache<i64, Arc<MovieCard>>,
    showtimes: BoundedCache<i64, Arc<ShowtimeDetail>>,
    /// When the catalog last changed (as far as this instance heard).
    changed_at: Arc<Mutex<Option<Instant>>>,
    /// Names this instance in its own change announcements, so that it does not empty its
    /// caches a second time when Redis echoes them back.
    origin: Arc<str>,
}

impl CatalogCache {
    /// `capacity` movies and `capacity` showtimes, each for at most `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            now_showing: BoundedCache::new(1, ttl),
            movies: BoundedCache::new(capacity, ttl),
            showtimes: BoundedCache::new(capacity, ttl),
            changed_at: Arc::default(),
            origin: crate::server::session::random_token().into(),
        }
    }

    pub async fn now_showing(
        &self,
        load: impl Future<Output = Result<Vec<MovieCard>, AppError>>,
    ) -> Result<Arc<Vec<MovieCard>>, AppError> {
        let load = async { load.await.map(Arc::new) };
        counted("now_showing", self.now_showing.get_or_load((), load).await)
    }

    pub async fn movie(
        &self,
        id: i64,
        load: impl Future<Output = Result<MovieCard, AppError>>,
    ) -> Result<Arc<MovieCard>, AppError> {
        let load = async { load.await.map(Arc::new) };
        counted("movie", self.movies.get_or_load(id, load).await)
    }

    pub async fn showtime(
        &self,
        id: i64,
        load: impl Future<Output = Result<ShowtimeDetail, AppError>>,
    ) -> Result<Arc<ShowtimeDetail>, AppError> {
        let load = async { load.await.map(Arc::new) };
        counted("showtime", self.showtimes.get_or_load(id, load).await)
    }

    /// This instance, in change announcements.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Forgets everything (the catalog changed).
    pub fn clear(&self) {
        *self.changed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        self.now_showing.clear();
        self.movies.clear();
        self.showtimes.clear();
    }

    /// Whether the catalog changed less than `window` ago (reads then avoid the replica,
    /// which may not have the change yet).
    pub fn changed_within(&self, window: Duration) -> bool {
        self.changed_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at.elapsed() < window)
    }
}

fn counted<V>(kind: &'static str, answer: Result<(V, Lookup), AppError>) -> Result<V, AppError> {
    let (value, lookup) = answer?;
    metrics::catalog_lookup(kind, lookup == Lookup::Hit);
    Ok(value)
}
