//! The waiting room's scripts, one contract each (see `booking::script`); the Lua side is in
//! `lua/`, one file per contract.

use serde::Deserialize;

use crate::server::booking::keys::RoomKeys;
use crate::server::booking::script::{Contract, ScriptCall, lua_script};

/// `join.lua`: a place in the queue (drawn before the opening, in arrival order after).
pub struct Join<'a> {
    pub keys: &'a RoomKeys,
    pub session: &'a str,
    pub client: &'a str,
    /// A fresh random id, used if the session has no entry yet.
    pub entry: &'a str,
    pub per_address: u32,
    pub draw_from_ms: i64,
    pub opens_ms: i64,
    pub keep_until_ms: i64,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JoinReply {
    Ok { entry: String },
    Already { entry: String },
    TooEarly { opens_in_ms: u64 },
    AddressTaken,
}

impl Contract for Join<'_> {
    type Reply = JoinReply;

    lua_script!("room_join", include_str!("lua/join.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("seed", keys.seed())
            .key("queue", keys.queue())
            .key("drawn", keys.drawn())
            .key("sessions", keys.sessions())
            .key("addresses", keys.addresses())
            .key("entries", keys.entries())
            .key("seq", keys.seq())
            .keys("all", keys.all())
            .arg("session", self.session)
            .arg("client", self.client)
            .arg("entry", self.entry)
            .arg("per_address", self.per_address)
            .arg("draw_from_ms", self.draw_from_ms)
            .arg("opens_ms", self.opens_ms)
            .arg("keep_until_ms", self.keep_until_ms)
    }
}

/// `tick.lua`: admit whoever's turn it is, and say where `entry` stands.
pub struct Tick<'a> {
    pub keys: &'a RoomKeys,
    /// `""`: nobody in particular.
    pub entry: &'a str,
    pub opens_ms: i64,
    pub per_minute: u32,
    pub burst: u32,
    pub max_active: u32,
    pub ttl_ms: i64,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TickReply {
    Ok(Ticked),
}

#[derive(Debug, Deserialize)]
pub struct Ticked {
    pub now_ms: i64,
    pub admitted_now: u32,
    pub waiting: u32,
    pub active: u32,
    pub admitted_last_minute: u32,
    /// `waiting`, `admitted`, `left`, `expired`, or `unknown`.
    pub state: Option<String>,
    pub position: Option<u32>,
    pub until_ms: Option<i64>,
}

impl Contract for Tick<'_> {
    type Reply = TickReply;

    lua_script!("room_tick", include_str!("lua/tick.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("queue", keys.queue())
            .key("entries", keys.entries())
            .key("active", keys.active())
            .key("admits", keys.admits())
            .key("bucket", keys.bucket())
            .key("total", keys.total())
            .arg("entry", self.entry)
            .arg("opens_ms", self.opens_ms)
            .arg("per_minute", self.per_minute)
            .arg("burst", self.burst)
            .arg("max_active", self.max_active)
            .arg("ttl_ms", self.ttl_ms)
    }
}

/// `leave.lua`: give a place up (out of the queue, or out of the admitted).
pub struct Leave<'a> {
    pub keys: &'a RoomKeys,
    pub entry: &'a str,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LeaveReply {
    Ok { was: String },
}

impl Contract for Leave<'_> {
    type Reply = LeaveReply;

    lua_script!("room_leave", include_str!("lua/leave.lua"));

    fn call(&self) -> ScriptCall {
        ScriptCall::new()
            .key("queue", self.keys.queue())
            .key("entries", self.keys.entries())
            .key("active", self.keys.active())
            .arg("entry", self.entry)
    }
}

/// `admitted.lua`: whether an entry of a session is admitted right now.
pub struct Admitted<'a> {
    pub keys: &'a RoomKeys,
    pub entry: &'a str,
    pub session: &'a str,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AdmittedReply {
    Ok { admitted: bool },
}

impl Contract for Admitted<'_> {
    type Reply = AdmittedReply;

    lua_script!("room_admitted", include_str!("lua/admitted.lua"));

    fn call(&self) -> ScriptCall {
        ScriptCall::new()
            .key("entries", self.keys.entries())
            .key("active", self.keys.active())
            .arg("entry", self.entry)
            .arg("session", self.session)
    }
}
