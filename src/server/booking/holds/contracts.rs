//! The hold engine's scripts, one contract each: what a call sends (keys and arguments by
//! name) and what it answers (an enum). The Lua side is in `lua/`, one file per contract.

use std::time::Duration;

use serde::Deserialize;

use crate::server::booking::keys::ShowtimeKeys;
use crate::server::booking::script::{
    Contract, Loaded, LuaScript, ScriptCall, SoldCacheReply, id_list,
};

/// Milliseconds, as the scripts take them.
pub fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn seat_keys<'a>(keys: &'a ShowtimeKeys, seats: &'a [i64]) -> impl Iterator<Item = String> + 'a {
    seats.iter().map(|&seat| keys.seat(seat))
}

/// `hold.lua`: hold seats for one session, all or nothing.
pub struct Hold<'a> {
    pub keys: &'a ShowtimeKeys,
    pub session: &'a str,
    pub ttl: Duration,
    pub max_seats: u32,
    pub seats: &'a [i64],
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
    NeedsSold,
    InLine,
    ServeLine,
}

impl SoldCacheReply for HoldReply {
    fn needs_sold(&self) -> bool {
        matches!(self, Self::NeedsSold)
    }
}

impl Contract for Hold<'_> {
    type Reply = HoldReply;

    fn script() -> &'static LuaScript {
        static SCRIPT: Loaded =
            Loaded::new(|| LuaScript::load("hold", include_str!("lua/hold.lua")));
        &SCRIPT
    }

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("holder", keys.holder(self.session))
            .key("holder_seats", keys.holder_seats(self.session))
            .key("line", keys.line())
            .key("line_served", keys.line_served())
            .keys("seat", seat_keys(keys, self.seats))
            .arg("session", self.session)
            .arg("ttl", ms(self.ttl))
            .arg("max", self.max_seats)
            .arg("channel", keys.channel())
            .arg("seats", self.seats)
    }
}

/// `release.lua`: release seats held by one session.
pub struct Release<'a> {
    pub keys: &'a ShowtimeKeys,
    pub session: &'a str,
    pub seats: &'a [i64],
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

    fn script() -> &'static LuaScript {
        static SCRIPT: Loaded =
            Loaded::new(|| LuaScript::load("release", include_str!("lua/release.lua")));
        &SCRIPT
    }

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("holder", keys.holder(self.session))
            .key("holder_seats", keys.holder_seats(self.session))
            .key("line", keys.line())
            .key("line_served", keys.line_served())
            .keys("seat", seat_keys(keys, self.seats))
            .arg("session", self.session)
            .arg("channel", keys.channel())
            .arg("seats", self.seats)
    }
}

/// `extend.lua`: one more extension of a session's hold. `seats` is the hold's seat set as
/// the caller read it; the script refuses (`Retry`) if it changed meanwhile.
pub struct Extend<'a> {
    pub keys: &'a ShowtimeKeys,
    pub session: &'a str,
    pub step: Duration,
    pub max_extensions: u32,
    pub seats: &'a [i64],
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

    fn script() -> &'static LuaScript {
        static SCRIPT: Loaded =
            Loaded::new(|| LuaScript::load("extend", include_str!("lua/extend.lua")));
        &SCRIPT
    }

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("holder", keys.holder(self.session))
            .key("holder_seats", keys.holder_seats(self.session))
            .keys("seat", seat_keys(keys, self.seats))
            .arg("session", self.session)
            .arg("channel", keys.channel())
            .arg("step", ms(self.step))
            .arg("max", self.max_extensions)
            .arg("seats", self.seats)
    }
}

/// `checkout.lua`: the session holds exactly `seats`, none sold; stretch the hold by `grace`.
pub struct Checkout<'a> {
    pub keys: &'a ShowtimeKeys,
    pub session: &'a str,
    pub grace: Duration,
    pub seats: &'a [i64],
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CheckoutReply {
    Ok {
        #[allow(dead_code)] // part of the reply; checkout does not show it
        expires_at: i64,
    },
    Sold {
        #[serde(deserialize_with = "id_list")]
        seats: Vec<i64>,
    },
    NotYours {
        #[serde(deserialize_with = "id_list")]
        seats: Vec<i64>,
    },
    Expired {
        #[serde(deserialize_with = "id_list")]
        seats: Vec<i64>,
    },
    /// The hold has other seats than the ones being bought.
    Mismatch {
        #[allow(dead_code)] // part of the reply; the error asks to release the others
        held: u32,
    },
}

impl Contract for Checkout<'_> {
    type Reply = CheckoutReply;

    fn script() -> &'static LuaScript {
        static SCRIPT: Loaded =
            Loaded::new(|| LuaScript::load("checkout", include_str!("lua/checkout.lua")));
        &SCRIPT
    }

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("expiry", keys.expiry())
            .key("holder", keys.holder(self.session))
            .key("holder_seats", keys.holder_seats(self.session))
            .keys("seat", seat_keys(keys, self.seats))
            .arg("session", self.session)
            .arg("grace", ms(self.grace))
            .arg("seats", self.seats)
    }
}

/// `sold.lua`: the seats are sold (their order is committed); drop their holds.
pub struct MarkSold<'a> {
    pub keys: &'a ShowtimeKeys,
    pub session: &'a str,
    pub seats: &'a [i64],
}

/// The version of the change (the same shape answers `load_sold.lua`).
#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum VersionReply {
    Ok { version: u64 },
}

impl Contract for MarkSold<'_> {
    type Reply = VersionReply;

    fn script() -> &'static LuaScript {
        static SCRIPT: Loaded =
            Loaded::new(|| LuaScript::load("sold", include_str!("lua/sold.lua")));
        &SCRIPT
    }

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("holder", keys.holder(self.session))
            .key("holder_seats", keys.holder_seats(self.session))
            .keys("seat", seat_keys(keys, self.seats))
            .arg("channel", keys.channel())
            .arg("seats", self.seats)
    }
}

/// `load_sold.lua`: refill the sold-seat cache with what Postgres says is sold.
pub struct LoadSold<'a> {
    pub keys: &'a ShowtimeKeys,
    pub sold: &'a [i64],
}

impl Contract for LoadSold<'_> {
    type Reply = VersionReply;

    fn script() -> &'static LuaScript {
        static SCRIPT: Loaded =
            Loaded::new(|| LuaScript::load("load_sold", include_str!("lua/load_sold.lua")));
        &SCRIPT
    }

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .arg("channel", keys.channel())
            .arg("seats", self.sold)
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

    fn script() -> &'static LuaScript {
        static SCRIPT: Loaded =
            Loaded::new(|| LuaScript::load("expire", include_str!("lua/expire.lua")));
        &SCRIPT
    }

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("line", keys.line())
            .key("line_served", keys.line_served())
            .keys("seat", seat_keys(keys, self.due))
            .arg("channel", keys.channel())
            .arg("seats", self.due)
    }
}

/// `snapshot.lua`: every seat's state for one viewer, atomically.
pub struct Snapshot<'a> {
    pub keys: &'a ShowtimeKeys,
    pub session: &'a str,
    /// Every seat of the showtime, in layout order.
    pub seats: &'a [i64],
}

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

impl SoldCacheReply for SnapshotReply {
    fn needs_sold(&self) -> bool {
        matches!(self, Self::NeedsSold)
    }
}

impl Contract for Snapshot<'_> {
    type Reply = SnapshotReply;

    fn script() -> &'static LuaScript {
        static SCRIPT: Loaded =
            Loaded::new(|| LuaScript::load("snapshot", include_str!("lua/snapshot.lua")));
        &SCRIPT
    }

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .key("holder", keys.holder(self.session))
            .key("line", keys.line())
            .key("line_party", keys.line_party())
            .keys("seat", seat_keys(keys, self.seats))
            .arg("session", self.session)
            .arg("seats", self.seats)
    }
}
