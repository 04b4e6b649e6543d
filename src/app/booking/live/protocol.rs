//! The live seat feed's messages (`GET /ws/showtimes/{id}`, JSON over a WebSocket).
//!
//! The server sends a `snapshot` first, then a `delta` per change, each carrying the
//! showtime's version; versions increase by exactly one per change, so a client that sees a
//! gap knows it missed something and sends `resync`. No message carries anyone's session or
//! holder id: a seat held by this connection's session is `mine`, anyone else's is `held`.
//! `line` and `offer` messages concern the waiting line and go only to the person concerned;
//! they carry no version (they change no seat).

use serde::{Deserialize, Serialize};

use crate::app::booking::model::{LinePlace, SeatMapState, SeatState};

/// WebSocket close code for "no such showtime: do not retry". Application close codes are
/// 4000–4999 (RFC 6455 leaves that range to applications); the server closes with this one
/// when the showtime does not exist, and the browser then stops reconnecting.
pub const CLOSE_UNKNOWN_SHOWTIME: u16 = 4404;

/// WebSocket close code for "this showtime has started: there is nothing live to show, do
/// not retry" (like HTTP's 410 Gone).
pub const CLOSE_SHOWTIME_OVER: u16 = 4410;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Every seat's state as of `state.version`.
    Snapshot { state: SeatMapState },
    /// What changed at `version` (possibly nothing visible, e.g. someone else's extension).
    Delta {
        version: u64,
        changes: Vec<SeatChange>,
        /// Present when this session's own hold got a new expiry (held or extended, here or
        /// in another tab): milliseconds left as of the change.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hold_expires_in_ms: Option<i64>,
    },
    /// This connection's place in the waiting line changed (`None`: no longer in line).
    /// Sent only to the person concerned.
    Line { place: Option<LinePlace> },
    /// The waiting line offers this connection's session these seats ("your seats are
    /// ready"): they are its hold now (the `delta` before this one made them `mine`), for
    /// `expires_in_ms`. Buying them is the normal checkout.
    Offer {
        seat_ids: Vec<i64>,
        expires_in_ms: i64,
    },
    /// Where this connection's session stands in the waiting room of the showtime's on-sale
    /// (sent when it changes, only to a session that took a place there).
    Queue {
        status: crate::app::room::QueueStatus,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatChange {
    pub seat: i64,
    pub state: SeatState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// "I missed something; send me a snapshot."
    Resync,
}
