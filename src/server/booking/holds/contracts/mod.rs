//! The hold engine's scripts, one contract each: what a call sends (keys and arguments by
//! name) and what it answers (an enum). The Lua side is in `lua/`, one file per contract.
//! Here: holding, releasing, extending, expiry, the snapshot and retiring a showtime; the
//! sale's scripts (checkout, undoing its stretch, marking seats sold, reloading what is
//! sold) are in [`sale`].

mod sale;
mod staff;

pub use sale::{
    Checkout, CheckoutReply, LoadSold, MarkSold, MarkSoldReply, Unstretch, UnstretchReply,
    VersionReply,
};
pub use staff::{Block, BlockReply, Unsell, UnsellReply};

use std::time::Duration;

use serde::Deserialize;

use crate::server::booking::keys::ShowtimeKeys;
use crate::server::booking::script::{Contract, ScriptCall, id_list, lua_script, needs_sold_reply};

/// Milliseconds, as the scripts take them.
pub fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn seat_keys<'a>(keys: &'a ShowtimeKeys, seats: &'a [i64]) -> impl Iterator<Item = String> + 'a {
    seats.iter().map(|&seat| keys.seat(seat))
}

/// Whose hold and which seats: what most hold scripts are about.
pub struct SessionSeats<'a> {
    pub keys: &'a ShowtimeKeys,
    pub session: &'a str,
    pub seats: &'a [i64],
}

impl<'a> SessionSeats<'a> {
    pub fn new(keys: &'a ShowtimeKeys, session: &'a str, seats: &'a [i64]) -> Self {
        Self {
            keys,
            session,
            seats,
        }
    }

    /// The session's holder keys, the seats' hold keys (`K.seat[i]` for `A.seats[i]`), the
    /// session and the showtime's event channel.
    fn call(&self) -> ScriptCall {
        ScriptCall::new()
            .key("holder", self.keys.holder(self.session))
            .key("holder_seats", self.keys.holder_seats(self.session))
            .keys("seat", seat_keys(self.keys, self.seats))
            .arg("session", self.session)
            .arg("seats", self.seats)
            .arg("channel", self.keys.event_channel())
    }
}

/// `hold.lua`: hold seats for one session, all or nothing.
pub struct Hold<'a> {
    pub target: SessionSeats<'a>,
    pub ttl: Duration,
    /// The longest a new hold may last, every extension and checkout included.
    pub life: Duration,
    pub max_seats: u32,
    /// The caller's address ([`ClientIp::bucket`](crate::server::client::ClientIp::bucket)),
    /// and how many seats may be held from it.
    pub client: &'a str,
    pub max_seats_per_client: u32,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum HoldReply {
    Ok {
        expires_at: i64,
        version: u64,
        extensions: u32,
        now: i64,
        /// Every seat of the session's hold, the new ones included.
        #[serde(deserialize_with = "id_list")]
        seats: Vec<i64>,
    },
    Taken {
        #[serde(deserialize_with = "id_list")]
        seats: Vec<i64>,
    },
    TooMany {
        #[allow(dead_code)] // part of the reply; the error names the limit, not the count
        held: u32,
    },
    /// The caller's address holds as many seats of the showtime as it may.
    ClientFull,
    NeedsSold,
    InLine,
    ServeLine,
}

needs_sold_reply!(HoldReply);

impl Contract for Hold<'_> {
    type Reply = HoldReply;

    lua_script!("hold", include_str!("../lua/hold.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.target.keys;
        self.target
            .call()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("line", keys.line())
            .key("line_served", keys.line_served())
            .key("ip_seats", keys.ip_seats(self.client))
            .arg("ttl", ms(self.ttl))
            .arg("life", ms(self.life))
            .arg("max", self.max_seats)
            .arg("ip_max", self.max_seats_per_client)
    }
}

/// `release.lua`: release seats held by one session.
pub struct Release<'a> {
    pub target: SessionSeats<'a>,
    /// The caller's address, whose count of held seats goes down.
    pub client: &'a str,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReleaseReply {
    Ok {
        version: u64,
        /// Absent once the session has no hold at all.
        expires_at: Option<i64>,
        extensions: u32,
        now: i64,
        line_length: u64,
        /// What the session still holds.
        #[serde(deserialize_with = "id_list")]
        seats: Vec<i64>,
    },
    NotYours {
        #[serde(deserialize_with = "id_list")]
        seats: Vec<i64>,
    },
}

impl Contract for Release<'_> {
    type Reply = ReleaseReply;

    lua_script!("release", include_str!("../lua/release.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.target.keys;
        self.target
            .call()
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("line", keys.line())
            .key("line_served", keys.line_served())
            .key("ip_seats", keys.ip_seats(self.client))
    }
}

/// `extend.lua`: one more extension of a session's hold. `seats` is the hold's seat set as
/// the caller read it; the script refuses (`Retry`) if it changed meanwhile.
pub struct Extend<'a> {
    pub target: SessionSeats<'a>,
    pub step: Duration,
    pub max_extensions: u32,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ExtendReply {
    Ok {
        expires_at: i64,
        version: u64,
        extensions: u32,
        now: i64,
    },
    Expired,
    Limit,
    Retry,
}

impl Contract for Extend<'_> {
    type Reply = ExtendReply;

    lua_script!("extend", include_str!("../lua/extend.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.target.keys;
        self.target
            .call()
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .arg("step", ms(self.step))
            .arg("max", self.max_extensions)
    }
}

/// `expire.lua`: announce the seats among `due` whose hold has lapsed.
pub struct Expire<'a> {
    pub keys: &'a ShowtimeKeys,
    pub due: &'a [i64],
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ExpireReply {
    Ok {
        /// How many seats were announced free.
        freed: usize,
        /// When the next hold of the showtime ends (ms), if any is left.
        next_expiry: Option<i64>,
        line_length: u64,
    },
}

impl Contract for Expire<'_> {
    type Reply = ExpireReply;

    lua_script!("expire", include_str!("../lua/expire.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("line", keys.line())
            .key("line_served", keys.line_served())
            .keys("seat", seat_keys(keys, self.due))
            .arg("channel", keys.event_channel())
            .arg("seats", self.due)
    }
}

/// `snapshot.lua`: every seat's state for one viewer, atomically.
/// The seats are every seat of the showtime, in layout order.
pub struct Snapshot<'a>(pub SessionSeats<'a>);

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SnapshotReply {
    Ok {
        version: u64,
        /// Absent without a hold.
        expires_at: Option<i64>,
        extensions: u32,
        now: i64,
        /// One character per seat of the call, in its order: a(vailable) m(ine) h(eld) s(old).
        states: String,
        /// The viewer's hold is a waiting-line offer.
        offer: bool,
        /// The viewer's place in the waiting line, if it is in it.
        position: Option<u32>,
        party: Option<u32>,
    },
    NeedsSold,
}

needs_sold_reply!(SnapshotReply);

impl Contract for Snapshot<'_> {
    type Reply = SnapshotReply;

    lua_script!("snapshot", include_str!("../lua/snapshot.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.0.keys;
        self.0
            .call()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .key("line", keys.line())
            .key("line_party", keys.line_party())
    }
}

/// `retire.lua`: a finished showtime's long-lived keys expire.
pub struct Retire<'a> {
    pub keys: &'a ShowtimeKeys,
    /// When (ms since the epoch).
    pub at: i64,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RetireReply {
    Ok,
}

impl Contract for Retire<'_> {
    type Reply = RetireReply;

    lua_script!("retire", include_str!("../lua/retire.lua"));

    fn call(&self) -> ScriptCall {
        ScriptCall::new()
            .keys("keys", self.keys.long_lived())
            .arg("at", self.at)
    }
}
