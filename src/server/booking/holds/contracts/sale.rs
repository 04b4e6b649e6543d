//! The sale's scripts: checkout's check-and-stretch, undoing the stretch after a decline,
//! marking seats sold, and refilling the sold-seat cache from Postgres.

use std::time::Duration;

use serde::Deserialize;

use super::{SessionSeats, ms, seat_keys};
use crate::server::booking::keys::ShowtimeKeys;
use crate::server::booking::script::{Contract, ScriptCall, id_list, lua_script, needs_sold_reply};

/// `checkout.lua`: the session holds exactly `seats`, none sold; stretch the hold by `grace`.
pub struct Checkout<'a> {
    pub target: SessionSeats<'a>,
    pub grace: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CheckoutReply {
    Ok {
        expires_at: i64,
        /// The expiry before checkout stretched it (absent when it did not).
        stretched_from: Option<i64>,
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

    lua_script!("checkout", include_str!("../lua/checkout.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.target.keys;
        self.target
            .call()
            .key("sold", keys.sold())
            .key("expiry", keys.expiry())
            .arg("grace", ms(self.grace))
    }
}

/// `unstretch.lua`: after a decline, the expiry the hold had before checkout stretched it.
pub struct Unstretch<'a> {
    pub target: SessionSeats<'a>,
    /// What checkout set, and what it was before.
    pub stretched: i64,
    pub expires_at: i64,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum UnstretchReply {
    Ok { restored: bool },
}

impl Contract for Unstretch<'_> {
    type Reply = UnstretchReply;

    lua_script!("unstretch", include_str!("../lua/unstretch.lua"));

    fn call(&self) -> ScriptCall {
        self.target
            .call()
            .key("expiry", self.target.keys.expiry())
            .arg("stretched", self.stretched)
            .arg("expires_at", self.expires_at)
    }
}

/// `sold.lua`: the seats are sold (their order is paid); drop every hold on them.
pub struct MarkSold<'a> {
    pub keys: &'a ShowtimeKeys,
    pub seats: &'a [i64],
    /// `buyers[i]`: the session whose order bought `seats[i]`.
    pub buyers: &'a [&'a str],
    /// Every session that held one of the seats when the caller looked (the buyer's, and any
    /// other that lingered).
    pub holders: &'a [String],
    /// Every other seat held by a holder that did not buy the seat it holds: freed if that
    /// hold was an offer from the waiting line.
    pub others: &'a [i64],
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MarkSoldReply {
    /// `changed` seats were newly sold or lost a hold (0: it was all done already);
    /// `requeued` people whose offer was sold to someone else are back in line.
    Ok {
        version: u64,
        changed: u32,
        requeued: u32,
    },
    /// A seat is held by a session the caller did not name, or an offer taken back holds a
    /// seat not in `others`: look again.
    Stale,
    NeedsSold,
}
needs_sold_reply!(MarkSoldReply);

impl Contract for MarkSold<'_> {
    type Reply = MarkSoldReply;

    lua_script!("sold", include_str!("../lua/sold.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .key("expiry", keys.expiry())
            .key("line", keys.line())
            .key("line_party", keys.line_party())
            .key("line_ip", keys.line_ip())
            .key("line_served", keys.line_served())
            .keys("seat", seat_keys(keys, self.seats))
            .keys("other", seat_keys(keys, self.others))
            .keys("holder", self.holders.iter().map(|s| keys.holder(s)))
            .keys(
                "holder_seats",
                self.holders.iter().map(|s| keys.holder_seats(s)),
            )
            .arg("channel", keys.event_channel())
            .arg("seats", self.seats)
            .arg("buyers", self.buyers)
            .arg("holders", self.holders)
            .arg("others", self.others)
    }
}

/// The version of a change.
#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum VersionReply {
    Ok { version: u64 },
}

/// `load_sold.lua`: refill the sold-seat cache with what Postgres says is sold.
pub struct LoadSold<'a> {
    pub keys: &'a ShowtimeKeys,
    pub sold: &'a [i64],
    /// The lowest version the rebuilt state may have: the showtime's new epoch × 2^32.
    pub base: u64,
}

impl Contract for LoadSold<'_> {
    type Reply = VersionReply;

    lua_script!("load_sold", include_str!("../lua/load_sold.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .arg("channel", keys.event_channel())
            .arg("seats", self.sold)
            .arg("base", self.base)
    }
}
