//! The events the Redis scripts publish on a showtime's channel, decoded once (in the hub)
//! into [`SeatEvent`], so nothing downstream matches strings or checks for missing fields.
//!
//! Internal: an event names the holder's session and never leaves the server as is; the
//! socket turns it into each viewer's own `delta` (see `app::booking::ServerMessage`).
//!
//! The scripts encode with Lua's cjson: numbers arrive as JSON integers (ms timestamps have
//! 13 digits, well under cjson's 14 significant ones), unknown fields are ignored so a script
//! may add one before the server reads it, and an unknown `kind` is an error (the hub logs
//! and drops it; the next event's version gap then resyncs the viewers).

use serde::{Deserialize, Serialize};

/// One change of a showtime, as the hold and line scripts publish it.
///
/// Every seat change carries the showtime's version (one more than the previous change's);
/// `line` events change no seat and carry none of their own (the scripts send `version: 0`,
/// which is ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SeatEvent {
    /// `holder` now holds `seats` until `expires_at` (ms, Redis clock, which read `now`).
    Held {
        version: u64,
        seats: Vec<i64>,
        holder: String,
        expires_at: i64,
        now: i64,
        /// The waiting line served `holder` these seats: its socket also gets an `offer`.
        #[serde(default, skip_serializing_if = "is_false")]
        offer: bool,
    },
    /// A holder let go of `seats`.
    Released { version: u64, seats: Vec<i64> },
    /// Holds on `seats` ran out.
    Expired { version: u64, seats: Vec<i64> },
    /// `seats` were bought.
    Sold { version: u64, seats: Vec<i64> },
    /// `holder`'s hold on `seats` now lasts until `expires_at`; no seat changes state.
    Extended {
        version: u64,
        seats: Vec<i64>,
        holder: String,
        expires_at: i64,
        now: i64,
    },
    /// The sold seats were reloaded from Postgres: only a snapshot says what changed.
    Rebuilt { version: u64 },
    /// The waiting line changed: `sessions` joined it, or left it (gave up or were served).
    Line {
        change: LineChange,
        sessions: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineChange {
    /// At the back of the line: moves nobody else's place.
    Joined,
    /// Gave up or was served: everyone behind moves up.
    Left,
}

impl SeatEvent {
    /// The showtime version this change made; `None` for `line` events, which change no seat.
    pub fn version(&self) -> Option<u64> {
        match self {
            SeatEvent::Held { version, .. }
            | SeatEvent::Released { version, .. }
            | SeatEvent::Expired { version, .. }
            | SeatEvent::Sold { version, .. }
            | SeatEvent::Extended { version, .. }
            | SeatEvent::Rebuilt { version } => Some(*version),
            SeatEvent::Line { .. } => None,
        }
    }

    /// The seats concerned (none for `rebuilt` and `line`).
    pub fn seats(&self) -> &[i64] {
        match self {
            SeatEvent::Held { seats, .. }
            | SeatEvent::Released { seats, .. }
            | SeatEvent::Expired { seats, .. }
            | SeatEvent::Sold { seats, .. }
            | SeatEvent::Extended { seats, .. } => seats,
            SeatEvent::Rebuilt { .. } | SeatEvent::Line { .. } => &[],
        }
    }

    /// The session whose hold this is (`held` and `extended` only).
    pub fn holder(&self) -> Option<&str> {
        match self {
            SeatEvent::Held { holder, .. } | SeatEvent::Extended { holder, .. } => Some(holder),
            _ => None,
        }
    }

    /// Milliseconds the hold had left as of the change (`held` and `extended` only); the
    /// difference of two Redis-clock readings, so no server clock is involved.
    pub fn expires_in_ms(&self) -> Option<i64> {
        match self {
            SeatEvent::Held {
                expires_at, now, ..
            }
            | SeatEvent::Extended {
                expires_at, now, ..
            } => Some((expires_at - now).max(0)),
            _ => None,
        }
    }

    /// Whether this is the waiting line serving `session` its seats.
    pub fn is_offer_to(&self, session: &str) -> bool {
        matches!(self, SeatEvent::Held { holder, offer: true, .. } if holder == session)
    }

    /// Whether this `line` event may move `session`'s place in the line (`waiting`: it is in
    /// it). Only its own join, or someone leaving while it waits, can: others joining queue
    /// up behind it.
    pub fn may_move_place(&self, session: &str, waiting: bool) -> bool {
        match self {
            SeatEvent::Line { change, sessions } => {
                sessions.iter().any(|s| s == session) || (waiting && *change == LineChange::Left)
            }
            _ => false,
        }
    }
}

fn is_false(value: &bool) -> bool {
    !value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> SeatEvent {
        serde_json::from_str(json).unwrap_or_else(|error| panic!("{json}: {error}"))
    }

    // The strings below are exactly what the scripts publish (cjson orders keys as it likes).

    #[test]
    fn a_hold_decodes() {
        let event = decode(
            r#"{"version":7,"kind":"held","seats":[3,4],"holder":"abc","expires_at":1767225600123,"now":1767225000123}"#,
        );
        assert_eq!(
            event,
            SeatEvent::Held {
                version: 7,
                seats: vec![3, 4],
                holder: "abc".into(),
                expires_at: 1_767_225_600_123,
                now: 1_767_225_000_123,
                offer: false,
            }
        );
        assert_eq!(event.version(), Some(7));
        assert_eq!(event.holder(), Some("abc"));
        assert_eq!(event.expires_in_ms(), Some(600_000));
        assert!(!event.is_offer_to("abc"));
    }

    #[test]
    fn an_offer_is_a_hold_for_its_holder_only() {
        let event = decode(
            r#"{"version":8,"kind":"held","seats":[5],"holder":"abc","expires_at":2000,"now":1000,"offer":true}"#,
        );
        assert!(matches!(event, SeatEvent::Held { offer: true, .. }));
        assert!(event.is_offer_to("abc"));
        assert!(!event.is_offer_to("xyz"));
    }

    #[test]
    fn releases_expiries_and_sales_decode() {
        for (kind, expected) in [
            (
                "released",
                SeatEvent::Released {
                    version: 9,
                    seats: vec![1, 2],
                },
            ),
            (
                "expired",
                SeatEvent::Expired {
                    version: 9,
                    seats: vec![1, 2],
                },
            ),
            (
                "sold",
                SeatEvent::Sold {
                    version: 9,
                    seats: vec![1, 2],
                },
            ),
        ] {
            let event = decode(&format!(r#"{{"version":9,"kind":"{kind}","seats":[1,2]}}"#));
            assert_eq!(event, expected);
            assert_eq!(event.seats(), [1, 2]);
            assert_eq!(event.holder(), None);
            assert_eq!(event.expires_in_ms(), None);
        }
    }

    #[test]
    fn an_extension_decodes() {
        let event = decode(
            r#"{"version":10,"kind":"extended","seats":[3],"holder":"abc","expires_at":5000,"now":6000}"#,
        );
        assert!(matches!(event, SeatEvent::Extended { version: 10, .. }));
        assert_eq!(event.holder(), Some("abc"));
        // Never negative, whatever the clock readings say.
        assert_eq!(event.expires_in_ms(), Some(0));
    }

    #[test]
    fn a_rebuild_decodes() {
        let event = decode(r#"{"version":11,"kind":"rebuilt"}"#);
        assert_eq!(event, SeatEvent::Rebuilt { version: 11 });
        assert!(event.seats().is_empty());
    }

    #[test]
    fn line_events_decode_without_a_version() {
        let joined = decode(r#"{"version":0,"kind":"line","change":"joined","sessions":["abc"]}"#);
        assert_eq!(
            joined,
            SeatEvent::Line {
                change: LineChange::Joined,
                sessions: vec!["abc".into()],
            }
        );
        assert_eq!(joined.version(), None);
        let left =
            decode(r#"{"version":0,"kind":"line","change":"left","sessions":["abc","def"]}"#);
        assert!(matches!(
            left,
            SeatEvent::Line {
                change: LineChange::Left,
                ..
            }
        ));
    }

    #[test]
    fn only_ones_own_join_or_someone_leaving_moves_a_place() {
        let joined = decode(r#"{"version":0,"kind":"line","change":"joined","sessions":["abc"]}"#);
        let left = decode(r#"{"version":0,"kind":"line","change":"left","sessions":["abc"]}"#);
        assert!(joined.may_move_place("abc", false));
        assert!(!joined.may_move_place("xyz", true));
        assert!(left.may_move_place("abc", true));
        assert!(left.may_move_place("xyz", true));
        assert!(!left.may_move_place("xyz", false));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let event = decode(r#"{"version":3,"kind":"sold","seats":[1],"order":"o-1","at":12}"#);
        assert_eq!(
            event,
            SeatEvent::Sold {
                version: 3,
                seats: vec![1],
            }
        );
    }

    #[test]
    fn an_unknown_kind_is_rejected() {
        let result =
            serde_json::from_str::<SeatEvent>(r#"{"version":3,"kind":"moved","seats":[1]}"#);
        assert!(result.is_err());
    }

    #[test]
    fn an_unknown_line_change_is_rejected() {
        let result = serde_json::from_str::<SeatEvent>(
            r#"{"version":0,"kind":"line","change":"shuffled","sessions":[]}"#,
        );
        assert!(result.is_err());
    }

    #[test]
    fn an_event_survives_a_round_trip() {
        for json in [
            r#"{"version":8,"kind":"held","seats":[5],"holder":"abc","expires_at":2000,"now":1000,"offer":true}"#,
            r#"{"version":9,"kind":"held","seats":[5],"holder":"abc","expires_at":2000,"now":1000}"#,
            r#"{"version":0,"kind":"line","change":"left","sessions":["abc"]}"#,
        ] {
            let event = decode(json);
            let encoded = serde_json::to_string(&event).unwrap();
            assert_eq!(decode(&encoded), event);
        }
        // `offer` is only written when set, as the scripts do.
        let plain = decode(
            r#"{"version":9,"kind":"held","seats":[5],"holder":"abc","expires_at":2000,"now":1000}"#,
        );
        assert!(!serde_json::to_string(&plain).unwrap().contains("offer"));
    }
}
