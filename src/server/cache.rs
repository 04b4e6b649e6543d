//! A small in-process cache, bounded in entries and in age, that can be emptied at once.
//!
//! Both the booking side's showtimes (`booking::showtimes`) and the catalog's answers
//! (`catalog::cache`) are cached this way. Anyone may ask for any id, so the number of
//! entries is bounded (the least recently used goes first); an entry older than the TTL is
//! read again, so a change nobody announced still shows up eventually; and [`clear`] empties
//! it when a change *is* announced.
//!
//! Requests that miss the same key at once share one load (a new showtime on a busy sale, or
//! every request right after a `clear`, would otherwise each read the database and exhaust
//! its pool). A load that started before a `clear` must not put its (possibly stale) answer
//! back afterwards, nor be joined by requests that come after the `clear`: `clear` forgets
//! the loads under way along with the entries, and [`get_or_load`] stores only if no `clear`
//! happened meanwhile.
//!
//! [`clear`]: BoundedCache::clear
//! [`get_or_load`]: BoundedCache::get_or_load

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::app::error::AppError;

pub struct BoundedCache<K, V> {
    inner: Arc<Inner<K, V>>,
}

impl<K, V> Clone for BoundedCache<K, V> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<K, V> {
    capacity: usize,
    ttl: Duration,
    state: RwLock<State<K, V>>,
    /// A logical clock for "last used": hits only take the read lock and bump an atomic.
    clock: AtomicU64,
}

struct State<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Loads under way, by key: whoever misses a key joins its load instead of starting one.
    flights: HashMap<K, Flight<V>>,
    /// Bumped by every `clear`, under the write lock.
    generation: u64,
}

/// One load, shared by every request that missed its key while it ran: they all get its
/// answer, an error included (so that a failing database fails them at once, rather than one
/// after the other as each tries again).
type Flight<V> = Arc<tokio::sync::OnceCell<Result<V, AppError>>>;

struct Entry<V> {
    value: V,
    loaded: Instant,
    used: AtomicU64,
}

/// Whether and how a lookup was answered, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Hit,
    Miss,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                capacity: capacity.max(1),
                ttl,
                state: RwLock::new(State {
                    entries: HashMap::new(),
                    flights: HashMap::new(),
                    generation: 0,
                }),
                clock: AtomicU64::new(0),
            }),
        }
    }

    /// The cached value of `key`, or the answer of the load under way for it, or `load`'s
    /// answer (kept unless the cache was cleared while it loaded). Errors are not kept: the
    /// next request after a failed load loads again.
    pub async fn get_or_load<F>(&self, key: K, load: F) -> Result<(V, Lookup), AppError>
    where
        F: Future<Output = Result<V, AppError>>,
    {
        if let Some(value) = self.cached(&key, Instant::now()) {
            return Ok((value, Lookup::Hit));
        }
        let (flight, generation) = {
            let mut state = self.write();
            let flight = state.flights.entry(key.clone()).or_default();
            // A load is retired by its first request right after it has an answer. One still
            // here with an answer is about to be, or lost that request on the way (cancelled):
            // start afresh rather than hand out an answer of unknown age.
            if flight.initialized() {
                *flight = Flight::default();
            }
            (flight.clone(), state.generation)
        };
        // If the request running the load is cancelled, a waiting one runs its own.
        let loaded = flight.get_or_init(|| load).await.clone();
        self.land(key, &flight, loaded.as_ref().ok(), generation);
        loaded.map(|value| (value, Lookup::Miss))
    }

    /// Forgets every entry, and the loads under way: their answers go to those who asked
    /// before, and are not kept.
    pub fn clear(&self) {
        let mut state = self.write();
        state.generation += 1;
        state.entries.clear();
        state.flights.clear();
    }

    /// A load ended: the first of its requests to get here retires it and keeps its answer
    /// (if the cache was not cleared since).
    fn land(&self, key: K, flight: &Flight<V>, value: Option<&V>, generation: u64) {
        {
            let mut state = self.write();
            let ours = state
                .flights
                .get(&key)
                .is_some_and(|f| Arc::ptr_eq(f, flight));
            if !ours {
                return;
            }
            state.flights.remove(&key);
        }
        if let Some(value) = value {
            self.store(key, value.clone(), generation, Instant::now());
        }
    }

    #[cfg(test)]
    fn generation(&self) -> u64 {
        self.read().generation
    }

    /// The entry for `key` if it is young enough, marked as just used.
    fn cached(&self, key: &K, now: Instant) -> Option<V> {
        let state = self.read();
        let entry = state.entries.get(key)?;
        if now.saturating_duration_since(entry.loaded) >= self.inner.ttl {
            return None;
        }
        entry.used.store(self.tick(), Ordering::Relaxed);
        Some(entry.value.clone())
    }

    /// Keeps `value` unless the cache was cleared since `generation`, evicting the least
    /// recently used entry when full. Eviction scans the map, which is fine: it only happens
    /// after a database read, which costs far more.
    fn store(&self, key: K, value: V, generation: u64, now: Instant) {
        let mut state = self.write();
        if state.generation != generation {
            return;
        }
        if !state.entries.contains_key(&key) && state.entries.len() >= self.inner.capacity {
            let oldest = state
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used.load(Ordering::Relaxed))
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                state.entries.remove(&oldest);
            }
        }
        let entry = Entry {
            value,
            loaded: now,
            used: AtomicU64::new(self.tick()),
        };
        state.entries.insert(key, entry);
    }

    fn tick(&self) -> u64 {
        self.inner.clock.fetch_add(1, Ordering::Relaxed)
    }

    // Nothing under the lock can leave the map half-updated, so a poisoned lock is fine.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State<K, V>> {
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State<K, V>> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.read().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(capacity: usize) -> BoundedCache<i64, &'static str> {
        BoundedCache::new(capacity, Duration::from_secs(300))
    }

    #[test]
    fn keeps_the_most_recently_used_up_to_its_size() {
        let cache = cache(2);
        let now = Instant::now();
        cache.store(1, "one", 0, now);
        cache.store(2, "two", 0, now);
        // 1 is used again, so 2 is the least recently used when 3 arrives.
        assert!(cache.cached(&1, now).is_some());
        cache.store(3, "three", 0, now);
        assert_eq!(cache.len(), 2);
        assert!(cache.cached(&2, now).is_none());
        assert!(cache.cached(&1, now).is_some());
        assert!(cache.cached(&3, now).is_some());
        // Storing one that is already there replaces it and evicts nothing.
        cache.store(3, "three again", 0, now);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.cached(&1, now), Some("one"));
        assert_eq!(cache.cached(&3, now), Some("three again"));
    }

    #[test]
    fn entries_older_than_the_ttl_are_read_again() {
        let ttl = Duration::from_secs(300);
        let cache = BoundedCache::new(10, ttl);
        let loaded = Instant::now();
        cache.store(7, "seven", 0, loaded);
        assert!(cache.cached(&7, loaded + ttl / 2).is_some());
        assert!(cache.cached(&7, loaded + ttl).is_none());
    }

    #[test]
    fn a_load_that_started_before_a_clear_is_not_kept() {
        let cache = cache(10);
        let now = Instant::now();
        cache.store(1, "one", cache.generation(), now);
        let before = cache.generation();
        cache.clear();
        assert!(cache.cached(&1, now).is_none());
        // The answer of a read that began before the change may be stale: dropped.
        cache.store(2, "stale", before, now);
        assert!(cache.cached(&2, now).is_none());
        cache.store(2, "fresh", cache.generation(), now);
        assert_eq!(cache.cached(&2, now), Some("fresh"));
    }

    #[tokio::test]
    async fn requests_missing_one_key_at_once_share_one_load() {
        let cache = cache(10);
        let loads = AtomicU64::new(0);
        let (gate, opened) = tokio::sync::watch::channel(false);
        let load = || {
            let mut opened = opened.clone();
            let loads = &loads;
            async move {
                loads.fetch_add(1, Ordering::SeqCst);
                let _ = opened.wait_for(|open| *open).await;
                Ok::<_, AppError>("one")
            }
        };
        let waiting = futures_util::future::join_all((0..20).map(|_| cache.get_or_load(1, load())));
        let opening = async {
            tokio::task::yield_now().await;
            gate.send_replace(true);
        };
        let (answers, ()) = tokio::join!(waiting, opening);
        assert!(answers.iter().all(|a| a.as_ref().unwrap().0 == "one"));
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert_eq!(cache.cached(&1, Instant::now()), Some("one"));
    }

    #[tokio::test]
    async fn a_clear_during_a_load_starts_a_new_one_for_later_requests() {
        let cache = cache(10);
        let (gate, opened) = tokio::sync::watch::channel(false);
        let slow = {
            let mut opened = opened.clone();
            async move {
                let _ = opened.wait_for(|open| *open).await;
                Ok::<_, AppError>("before the change")
            }
        };
        let early = cache.get_or_load(1, slow);
        let later = async {
            tokio::task::yield_now().await;
            cache.clear();
            let answer = cache.get_or_load(1, async { Ok::<_, AppError>("after the change") });
            let answer = answer.await.unwrap().0;
            gate.send_replace(true);
            answer
        };
        let (early, later) = tokio::join!(early, later);
        assert_eq!(early.unwrap().0, "before the change");
        assert_eq!(later, "after the change");
        assert_eq!(cache.cached(&1, Instant::now()), Some("after the change"));
    }

    #[tokio::test]
    async fn get_or_load_loads_once_and_does_not_keep_errors() {
        let cache = cache(10);
        let (value, lookup) = cache
            .get_or_load(1, async { Ok::<_, AppError>("one") })
            .await
            .unwrap();
        assert_eq!((value, lookup), ("one", Lookup::Miss));
        let (value, lookup) = cache
            .get_or_load(1, async { Ok::<_, AppError>("other") })
            .await
            .unwrap();
        assert_eq!((value, lookup), ("one", Lookup::Hit));
        assert!(
            cache
                .get_or_load(2, async { Err(AppError::Internal) })
                .await
                .is_err()
        );
        assert_eq!(cache.len(), 1);
    }
}
