//! How often a live socket's client may have the whole seat map for the asking.

use std::time::{Duration, Instant};

/// At most one snapshot per this long for a client's own `resync` requests.
pub const RESYNC_EVERY: Duration = Duration::from_secs(1);

/// The client's own `resync` requests: one answered per `RESYNC_EVERY`, the rest folded into
/// one that is answered when the interval is up. A client that saw a gap still ends with a
/// correct map (the snapshot it gets is read after its request), without being able to make
/// the server read and send the whole map in a loop.
#[derive(Debug, Default)]
pub struct ResyncThrottle {
    last: Option<Instant>,
    waiting: bool,
}

impl ResyncThrottle {
    /// A request at `now`: `true` if it may be answered at once, else it waits.
    pub fn ask(&mut self, now: Instant) -> bool {
        if self.waiting {
            return false;
        }
        let free = self
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= RESYNC_EVERY);
        self.waiting = !free;
        free
    }

    /// A snapshot went out at `now` (asked for or not).
    pub fn answered(&mut self, now: Instant) {
        self.last = Some(now);
        self.waiting = false;
    }

    pub fn waiting(&self) -> bool {
        self.waiting
    }

    /// When a waiting request is answered.
    pub fn due(&self) -> Instant {
        self.last
            .map_or_else(Instant::now, |last| last + RESYNC_EVERY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resync_requests_are_answered_once_per_interval_and_folded() {
        let mut throttle = ResyncThrottle::default();
        let t0 = Instant::now();
        assert!(throttle.ask(t0));
        throttle.answered(t0);
        // A flood within the interval: one request waits, the rest join it.
        for i in 1..200 {
            assert!(!throttle.ask(t0 + Duration::from_millis(i)));
        }
        assert!(throttle.waiting());
        assert_eq!(throttle.due(), t0 + RESYNC_EVERY);
        throttle.answered(t0 + RESYNC_EVERY);
        assert!(!throttle.waiting());
        assert!(throttle.ask(t0 + RESYNC_EVERY * 2));
    }
}
