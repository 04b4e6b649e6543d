//! The scripts behind box office: blocking seats, and freeing seats that were sold or
//! blocked (a refund, an unblock).

use serde::Deserialize;

use super::seat_keys;
use crate::server::booking::keys::ShowtimeKeys;
use crate::server::booking::script::{Contract, ScriptCall, id_list, lua_script, needs_sold_reply};

/// `block.lua`: the seats join the sold set, all or nothing.
pub struct Block<'a> {
    pub keys: &'a ShowtimeKeys,
    pub seats: &'a [i64],
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BlockReply {
    Ok {
        #[allow(dead_code)] // part of the reply
        version: u64,
    },
    Taken {
        #[serde(deserialize_with = "id_list")]
        seats: Vec<i64>,
    },
    NeedsSold,
}

needs_sold_reply!(BlockReply);

impl Contract for Block<'_> {
    type Reply = BlockReply;

    lua_script!("block", include_str!("../lua/block.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .keys("seat", seat_keys(keys, self.seats))
            .arg("channel", keys.event_channel())
            .arg("seats", self.seats)
    }
}

/// `unsell.lua`: the seats leave the sold set; the line has first claim on them.
pub struct Unsell<'a> {
    pub keys: &'a ShowtimeKeys,
    pub seats: &'a [i64],
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum UnsellReply {
    Ok {
        #[allow(dead_code)] // part of the reply
        version: u64,
        freed: u32,
    },
    NeedsSold,
}

needs_sold_reply!(UnsellReply);

impl Contract for Unsell<'_> {
    type Reply = UnsellReply;

    lua_script!("unsell", include_str!("../lua/unsell.lua"));

    fn call(&self) -> ScriptCall {
        let keys = self.keys;
        ScriptCall::new()
            .key("sold", keys.sold())
            .key("sold_loaded", keys.sold_loaded())
            .key("version", keys.version())
            .key("line_served", keys.line_served())
            .arg("channel", keys.event_channel())
            .arg("seats", self.seats)
    }
}
