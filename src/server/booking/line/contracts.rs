//! The waiting line's scripts, one contract each: what a call sends (keys and arguments by
//! name) and what it answers (an enum). The Lua side is in `lua/`, one file per contract.

use std::time::Duration;

use serde::Deserialize;

use crate::server::booking::holds::contracts::ms;
use crate::server::booking::keys::ShowtimeKeys;
use crate::server::booking::script::{Contract, ScriptCall, lua_script, needs_sold_reply};
use crate::server::booking::showtimes::ShowtimeInfo;

/// `join.lua`: a place at the back of the line for `party` seats.
pub struct Join<'a> {
    pub keys: &'a ShowtimeKeys,
    pub showtime: &'a ShowtimeInfo,
    pub session: &'a str,
    pub party: u32,
    pub max_length: u32,
    /// The caller's address, and how many seats it may hold and await in all.
    pub client: &'a str,
    pub max_seats_per_client: u32,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JoinReply {
    Ok { position: u32 },
    Already { position: u32 },
    Holding,
    Available { free: u32 },
    Full,
    ClientFull,
    NeedsSold,
}

needs_sold_reply!(JoinReply);

impl Contract for Join<'_> {
    type Reply = JoinReply;

    lua_script!("join", include_str!("lua/join.lua"));

    fn call(&self) -> ScriptCall {
        let (keys, seats) = (self.keys, &self.showtime.seat_ids);
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("line", keys.line())
            .key("line_party", keys.line_party())
            .key("line_seq", keys.line_seq())
            .key("holder_seats", keys.holder_seats(self.session))
            .key("line_ip", keys.line_ip())
            .key("ip_seats", keys.ip_seats(self.client))
            .keys("seat", seats.iter().map(|&seat| keys.seat(seat)))
            .arg("session", self.session)
            .arg("party", self.party)
            .arg("cap", self.max_length)
            .arg("client", self.client)
            .arg("ip_max", self.max_seats_per_client)
            .arg("channel", keys.event_channel())
            .arg("seats", seats)
    }
}

/// `leave.lua`: give up a place in line.
pub struct Leave<'a> {
    pub keys: &'a ShowtimeKeys,
    pub session: &'a str,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LeaveReply {
    /// `left`: whether the session was in line.
    Ok { left: bool },
}

impl Contract for Leave<'_> {
    type Reply = LeaveReply;

    lua_script!("leave", include_str!("lua/leave.lua"));

    fn call(&self) -> ScriptCall {
        ScriptCall::new()
            .key("line", self.keys.line())
            .key("line_party", self.keys.line_party())
            .key("line_ip", self.keys.line_ip())
            .arg("session", self.session)
            .arg("channel", self.keys.event_channel())
    }
}

/// `serve.lua`: offer the free seats to the people in line, in order. `waiting` is the line
/// as the caller read it; their holder keys are declared so the script may write any of them.
pub struct Serve<'a> {
    pub keys: &'a ShowtimeKeys,
    pub showtime: &'a ShowtimeInfo,
    pub offer_ttl: Duration,
    /// Extensions an offer starts with already used (all of them: an offer gets none).
    pub extensions_used: u32,
    /// What checkout may add to an offer, once.
    pub checkout_grace: Duration,
    pub waiting: &'a [String],
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ServeReply {
    Ok {
        offers: u32,
        /// When the offers made lapse (ms), if any were made.
        expires_at: Option<i64>,
        /// Someone joined after `waiting` was read: serve again.
        stale: bool,
    },
    NeedsSold,
}

needs_sold_reply!(ServeReply);

impl Contract for Serve<'_> {
    type Reply = ServeReply;

    lua_script!("serve", include_str!("lua/serve.lua"));

    fn call(&self) -> ScriptCall {
        let (keys, showtime) = (self.keys, self.showtime);
        let place = |seat: &i64| showtime.seats.get(seat).map_or((0, 0), |s| (s.row, s.col));
        let rows: Vec<i32> = showtime.seat_ids.iter().map(|s| place(s).0).collect();
        let cols: Vec<i32> = showtime.seat_ids.iter().map(|s| place(s).1).collect();
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("line", keys.line())
            .key("line_party", keys.line_party())
            .key("line_ip", keys.line_ip())
            .key("line_served", keys.line_served())
            .keys(
                "seat",
                showtime.seat_ids.iter().map(|&seat| keys.seat(seat)),
            )
            .keys("holder", self.waiting.iter().map(|s| keys.holder(s)))
            .keys(
                "holder_seats",
                self.waiting.iter().map(|s| keys.holder_seats(s)),
            )
            .arg("channel", keys.event_channel())
            .arg("ttl", ms(self.offer_ttl))
            .arg("extensions", self.extensions_used)
            .arg("grace", ms(self.checkout_grace))
            .arg("seats", &showtime.seat_ids)
            .arg("rows", rows)
            .arg("cols", cols)
            .arg("waiting", self.waiting)
    }
}
