//! Live seat state: every change in Redis reaches every browser watching the showtime.
//!
//! - [`event`]: what the Redis scripts publish on a showtime's channel, as one enum
//!   ([`SeatEvent`]), decoded once, in the hub.
//! - [`hub`]: one Redis subscription per showtime that has viewers on this instance, fanned out
//!   to its sockets through a tokio broadcast channel; dropped when the last viewer leaves.
//! - [`socket`]: `GET /ws/showtimes/{id}`: subscribe, then snapshot, then deltas; resyncs on
//!   lag, on a version gap, on a lost Redis connection, or when the client asks. One `Viewer`
//!   per connection, with a handler per source of work.
//! - `delta`: how a seat event looks to one viewer (`mine` or `held`, its own expiry).
//! - `queue`: a waiting person's place in an on-sale's queue, on the socket of its showtime.
//! - [`resync`]: at most one snapshot a second for a client's own `resync` requests.
//! - `wire`: close frames (codes, reasons) and sends that give up on a client that stopped
//!   reading.
//! - [`sockets`]: how many sockets may be open (in all, per client address), and closing
//!   them all at shutdown.
//!
//! Redis pub/sub is at-most-once, so nothing here trusts it to be complete: every seat event
//! carries the showtime version, and a gap anywhere turns into a fresh snapshot.

mod delta;
pub mod event;
pub mod hub;
mod queue;
pub mod resync;
mod sharded;
pub mod socket;
pub mod sockets;
mod wire;

pub use event::{LineChange, SeatEvent};
pub use hub::{Feed, LiveHub, Subscription};
pub use sockets::{Admission, Sockets};
