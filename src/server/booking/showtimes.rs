//! What booking needs to know about a showtime: when it starts, its seats, their prices.
//!
//! A showtime's seats and prices do not change once it is on sale, so this is cached in
//! process after the first read (`SHOWTIME_CACHE_SIZE` showtimes, each for at most
//! `SHOWTIME_CACHE_TTL_SECS`); every hold and purchase validates against it without a
//! database round trip.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::app::catalog::SeatKind;
use crate::app::error::AppError;
use crate::server::catalog::{self, LoadedShowtime};

#[derive(Debug)]
pub struct ShowtimeInfo {
    pub id: i64,
    pub starts_at: DateTime<Utc>,
    pub starts_label: String,
    pub movie_title: String,
    pub auditorium: String,
    pub theater: String,
    /// Seat ids in layout order.
    pub seat_ids: Vec<i64>,
    pub seats: HashMap<i64, SeatInfo>,
}

#[derive(Debug, Clone)]
pub struct SeatInfo {
    /// "C7"
    pub name: String,
    pub kind: SeatKind,
    pub price_cents: i64,
    /// Place in the auditorium's grid: seats in one row with consecutive columns are
    /// side by side (an aisle is a gap in the columns).
    pub row: i32,
    pub col: i32,
}

impl ShowtimeInfo {
    /// Seat names ("C7") for ids, in layout order; unknown ids are shown as numbers.
    pub fn names(&self, ids: &[i64]) -> Vec<String> {
        let mut ids = ids.to_vec();
        ids.sort_by_key(|id| self.seat_ids.iter().position(|s| s == id));
        ids.iter()
            .map(|id| {
                self.seats
                    .get(id)
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| format!("#{id}"))
            })
            .collect()
    }

    /// Refuses seats that are not in this showtime's auditorium.
    pub fn check_seats(&self, ids: &[i64]) -> Result<(), AppError> {
        let unknown: Vec<String> = ids
            .iter()
            .filter(|id| !self.seats.contains_key(id))
            .map(|id| id.to_string())
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(AppError::bad_input(format!(
                "no such seat in this showtime: {}",
                unknown.join(", ")
            )))
        }
    }

    pub fn has_started(&self) -> bool {
        self.starts_at <= Utc::now()
    }

    pub fn total_cents(&self, ids: &[i64]) -> i64 {
        ids.iter()
            .filter_map(|id| self.seats.get(id))
            .map(|s| s.price_cents)
            .sum()
    }
}

/// Showtimes by id, bounded in number (the least recently used goes first) and in age (an
/// entry older than the TTL is read again, so a change in the catalog shows up eventually).
/// Anyone may ask for any showtime id, so an unbounded map would be a way to fill memory.
#[derive(Clone)]
pub struct ShowtimeCache {
    inner: Arc<Cache>,
}

struct Cache {
    capacity: usize,
    ttl: Duration,
    entries: RwLock<HashMap<i64, Cached>>,
    /// A logical clock for "last used": hits only take the read lock and bump an atomic.
    clock: AtomicU64,
}

struct Cached {
    info: Arc<ShowtimeInfo>,
    loaded: Instant,
    used: AtomicU64,
}

/// The `SHOWTIME_CACHE_SIZE` and `SHOWTIME_CACHE_TTL_SECS` defaults (for tests and tools).
impl Default for ShowtimeCache {
    fn default() -> Self {
        Self::new(1000, Duration::from_secs(300))
    }
}

impl ShowtimeCache {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Cache {
                capacity: capacity.max(1),
                ttl,
                entries: RwLock::default(),
                clock: AtomicU64::new(0),
            }),
        }
    }

    pub async fn get(&self, db: &PgPool, id: i64) -> Result<Arc<ShowtimeInfo>, AppError> {
        if let Some(info) = self.cached(id, Instant::now()) {
            return Ok(info);
        }
        // Two requests missing at once both load; the second insert simply wins.
        let info = Arc::new(load(db, id).await?);
        self.store(info.clone(), Instant::now());
        Ok(info)
    }

    /// The entry for `id` if it is young enough, marked as just used.
    fn cached(&self, id: i64, now: Instant) -> Option<Arc<ShowtimeInfo>> {
        let entries = self.inner.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(&id)?;
        if now.saturating_duration_since(entry.loaded) >= self.inner.ttl {
            return None;
        }
        entry.used.store(self.tick(), Ordering::Relaxed);
        Some(entry.info.clone())
    }

    /// Keeps `info`, evicting the least recently used entry when full. Eviction scans the
    /// map, which is fine: it only happens after a database read, which costs far more.
    fn store(&self, info: Arc<ShowtimeInfo>, now: Instant) {
        let mut entries = self
            .inner
            .entries
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if !entries.contains_key(&info.id) && entries.len() >= self.inner.capacity {
            let oldest = entries
                .iter()
                .min_by_key(|(_, e)| e.used.load(Ordering::Relaxed))
                .map(|(id, _)| *id);
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        let cached = Cached {
            info: info.clone(),
            loaded: now,
            used: AtomicU64::new(self.tick()),
        };
        entries.insert(info.id, cached);
    }

    fn tick(&self) -> u64 {
        self.inner.clock.fetch_add(1, Ordering::Relaxed)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.entries.read().map(|e| e.len()).unwrap_or(0)
    }
}

/// Booking's view of the catalog's showtime: the seats that have a price, by id.
async fn load(db: &PgPool, id: i64) -> Result<ShowtimeInfo, AppError> {
    let LoadedShowtime { detail, starts_at } = catalog::load_showtime(db, id).await?;
    // A seat whose kind has no price in this showtime is not for sale.
    let seats: Vec<(i64, SeatInfo)> = detail
        .layout
        .seats
        .iter()
        .filter_map(|seat| {
            let info = SeatInfo {
                name: seat.short_name(),
                kind: seat.kind,
                price_cents: detail.price_of(seat.kind)?,
                row: seat.grid_row,
                col: seat.grid_col,
            };
            Some((seat.id, info))
        })
        .collect();
    Ok(ShowtimeInfo {
        id,
        starts_at,
        starts_label: detail.starts_at,
        movie_title: detail.movie_title,
        auditorium: detail.auditorium,
        theater: detail.theater,
        seat_ids: seats.iter().map(|(id, _)| *id).collect(),
        seats: seats.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn showtime(id: i64) -> Arc<ShowtimeInfo> {
        Arc::new(ShowtimeInfo {
            id,
            starts_at: Utc::now(),
            starts_label: String::new(),
            movie_title: String::new(),
            auditorium: String::new(),
            theater: String::new(),
            seat_ids: Vec::new(),
            seats: HashMap::new(),
        })
    }

    #[test]
    fn keeps_the_most_recently_used_up_to_its_size() {
        let cache = ShowtimeCache::new(2, Duration::from_secs(300));
        let now = Instant::now();
        cache.store(showtime(1), now);
        cache.store(showtime(2), now);
        // 1 is used again, so 2 is the least recently used when 3 arrives.
        assert!(cache.cached(1, now).is_some());
        cache.store(showtime(3), now);
        assert_eq!(cache.len(), 2);
        assert!(cache.cached(2, now).is_none());
        assert!(cache.cached(1, now).is_some());
        assert!(cache.cached(3, now).is_some());
        // Storing one that is already there replaces it and evicts nothing.
        cache.store(showtime(3), now);
        assert_eq!(cache.len(), 2);
        assert!(cache.cached(1, now).is_some());
    }

    #[test]
    fn entries_older_than_the_ttl_are_read_again() {
        let ttl = Duration::from_secs(300);
        let cache = ShowtimeCache::new(10, ttl);
        let loaded = Instant::now();
        cache.store(showtime(7), loaded);
        assert!(cache.cached(7, loaded + ttl / 2).is_some());
        assert!(cache.cached(7, loaded + ttl).is_none());
    }
}
