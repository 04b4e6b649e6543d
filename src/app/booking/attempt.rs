//! The purchase attempt of a showtime that has no definitive answer yet: its idempotency key
//! and the seats the key was made for.
//!
//! A purchase whose answer was lost (network), or unknown (`500` after the card was charged,
//! `payment_pending`), may have bought the seats. Only a retry with the same key can learn
//! that without buying them twice, so the key is kept until an answer settles it (see
//! [`AppError::settles_purchase`](crate::app::error::AppError::settles_purchase)), in memory
//! and in the tab's `sessionStorage` so that a reload of the page keeps it too. Storage that
//! does not work leaves the copy in memory.

use crate::app::platform::{random_key, session_get, session_remove, session_set};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseAttempt {
    /// Sorted seat ids of the showtime the key buys.
    pub seats: Vec<i64>,
    pub key: String,
}

impl PurchaseAttempt {
    /// The attempt to send for `seats` (sorted): `known`, or else the one stored for this
    /// showtime, if it was made for exactly these seats; else a new one with a fresh key.
    /// Whatever is chosen is stored, replacing any other.
    pub fn for_seats(showtime_id: i64, seats: &[i64], known: Option<Self>) -> Self {
        let attempt = known
            .filter(|a| a.seats == seats)
            .or_else(|| Self::load(showtime_id).filter(|a| a.seats == seats))
            .unwrap_or_else(|| Self {
                seats: seats.to_vec(),
                key: random_key(),
            });
        session_set(&storage_name(showtime_id), &attempt.encode());
        attempt
    }

    /// The attempt this tab stored for the showtime, if any (and readable).
    pub fn load(showtime_id: i64) -> Option<Self> {
        Self::decode(&session_get(&storage_name(showtime_id))?)
    }

    /// The answer to the attempt with `key` is definitive: forget it, unless another attempt
    /// has replaced it meanwhile.
    pub fn settle(showtime_id: i64, key: &str) {
        let name = storage_name(showtime_id);
        if Self::load(showtime_id).is_none_or(|stored| stored.key == key) {
            session_remove(&name);
        }
    }

    /// `353,354/<key>`: seat ids, then the key (whose characters never include `,` or `/`).
    fn encode(&self) -> String {
        let seats: Vec<String> = self.seats.iter().map(i64::to_string).collect();
        format!("{}/{}", seats.join(","), self.key)
    }

    /// The attempt `encode` wrote; anything else (another version, an edited value) is
    /// ignored, which makes a fresh key.
    fn decode(stored: &str) -> Option<Self> {
        let (seats, key) = stored.split_once('/')?;
        let seats = seats
            .split(',')
            .map(|id| id.parse().ok())
            .collect::<Option<Vec<i64>>>()?;
        let sorted = seats.windows(2).all(|pair| pair[0] < pair[1]);
        let key_ok = super::input::IdempotencyKey::parse(key).is_ok();
        (sorted && key_ok).then(|| Self {
            seats,
            key: key.to_string(),
        })
    }
}

/// One entry per showtime, so checkouts of two showtimes in one tab keep their own keys.
fn storage_name(showtime_id: i64) -> String {
    format!("marquee.purchase.{showtime_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(seats: &[i64], key: &str) -> PurchaseAttempt {
        PurchaseAttempt {
            seats: seats.to_vec(),
            key: key.into(),
        }
    }

    #[test]
    fn an_attempt_reads_back_as_it_was_stored() {
        let stored = attempt(&[353, 354], "0123456789abcdef");
        assert_eq!(stored.encode(), "353,354/0123456789abcdef");
        assert_eq!(PurchaseAttempt::decode(&stored.encode()), Some(stored));
        for garbage in [
            "",
            "353",
            "353,x/0123456789abcdef",
            "354,353/0123456789abcdef",
            "1/k",
        ] {
            assert_eq!(PurchaseAttempt::decode(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn a_key_is_reused_only_for_exactly_its_seats() {
        let known = attempt(&[1, 2], "0123456789abcdef");
        let same = PurchaseAttempt::for_seats(7, &[1, 2], Some(known.clone()));
        assert_eq!(same, known);
        let other = PurchaseAttempt::for_seats(7, &[1, 2, 3], Some(known.clone()));
        assert_eq!(other.seats, vec![1, 2, 3]);
        assert_ne!(other.key, known.key);
    }

    #[test]
    fn storage_names_carry_the_showtime() {
        assert_eq!(storage_name(17), "marquee.purchase.17");
    }
}
