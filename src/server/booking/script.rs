//! How the booking services call their Lua scripts: one typed contract per script.
//!
//! A script's contract is one Rust type implementing [`Contract`]: it names every key and
//! argument ([`ScriptCall`]) and decodes the reply into an enum. The Lua side reads them by
//! name (`K.sold`, `A.session`, see `prelude.lua`) and answers one JSON object with a
//! `status`, so the order of KEYS and ARGV is written once (in Rust) and no reply is ever
//! read by position. Shared Lua (the clock, the sold-cache guard, publishing) lives once in
//! the prelude, joined to each script when it is loaded.

use std::sync::LazyLock;

use crate::server::redis_client::Redis;
use redis::Script;
use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::app::error::AppError;

const PRELUDE: &str = include_str!("prelude.lua");

/// A script's contract: the keys and arguments of a call, and the reply it decodes into.
pub trait Contract {
    type Reply: DeserializeOwned;

    /// The script this contract calls (see [`LuaScript::load`]).
    fn script() -> &'static LuaScript;

    /// Every key (in the script's KEYS) and argument of this call, by name.
    fn call(&self) -> ScriptCall;
}

/// A reply that may ask for the sold-seat cache to be rebuilt first.
pub trait SoldCacheReply {
    fn needs_sold(&self) -> bool;
}

/// A Lua script with the prelude in front.
pub struct LuaScript {
    name: &'static str,
    script: Script,
}

impl LuaScript {
    /// For a `static LazyLock` in a contract's `script()`: the script (prelude included) is
    /// hashed once per process, like a constant, and loaded into Redis on first use.
    pub fn load(name: &'static str, body: &str) -> Self {
        Self {
            name,
            script: Script::new(&format!("{PRELUDE}\n{body}")),
        }
    }
}

/// Shorthand for a contract's `script()`.
pub type Loaded = LazyLock<LuaScript>;

/// A contract's `fn script()`: `lua_script!("hold", include_str!("lua/hold.lua"));`.
macro_rules! lua_script {
    ($name:literal, $body:expr) => {
        fn script() -> &'static $crate::server::booking::script::LuaScript {
            use $crate::server::booking::script::{Loaded, LuaScript};
            static SCRIPT: Loaded = Loaded::new(|| LuaScript::load($name, $body));
            &SCRIPT
        }
    };
}
pub(crate) use lua_script;

/// A reply enum whose `NeedsSold` variant asks for the sold-seat cache to be rebuilt.
macro_rules! needs_sold_reply {
    ($reply:ty) => {
        impl $crate::server::booking::script::SoldCacheReply for $reply {
            fn needs_sold(&self) -> bool {
                matches!(self, Self::NeedsSold)
            }
        }
    };
}
pub(crate) use needs_sold_reply;

/// The keys and arguments of one script call, by name.
#[derive(Debug, Default)]
pub struct ScriptCall {
    keys: Vec<String>,
    /// What the prelude needs to name `keys`: a name per key, or `[name, count]` per list.
    layout: Vec<Value>,
    args: Map<String, Value>,
}

impl ScriptCall {
    pub fn new() -> Self {
        Self::default()
    }

    /// One key, `K.<name>` in the script.
    pub fn key(mut self, name: &'static str, key: String) -> Self {
        self.layout.push(Value::from(name));
        self.keys.push(key);
        self
    }

    /// A list of keys, `K.<name>[i]` in the script.
    pub fn keys(mut self, name: &'static str, keys: impl IntoIterator<Item = String>) -> Self {
        let before = self.keys.len();
        self.keys.extend(keys);
        let count = self.keys.len() - before;
        self.layout
            .push(Value::from(vec![Value::from(name), Value::from(count)]));
        self
    }

    /// An argument, `A.<name>` in the script.
    pub fn arg(mut self, name: &'static str, value: impl Serialize) -> Self {
        // Our own plain values (numbers, strings, lists of them) always serialise.
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.args.insert(name.to_owned(), value);
        self
    }

    fn argument(&self) -> String {
        serde_json::json!({ "keys": self.layout, "args": self.args }).to_string()
    }
}

/// Runs `contract`'s script and decodes its reply.
pub async fn run<C: Contract>(redis: &mut Redis, contract: &C) -> Result<C::Reply, AppError> {
    let script = C::script();
    let call = contract.call();
    let mut invocation = script.script.prepare_invoke();
    for key in &call.keys {
        invocation.key(key);
    }
    invocation.arg(call.argument());
    let reply: String = invocation.invoke_async(redis).await?;
    serde_json::from_str(&reply).map_err(|error| {
        // The scripts and their contracts live side by side: a mismatch is our bug.
        tracing::error!(script = script.name, %error, reply, "undecodable reply from a Redis script");
        AppError::Internal
    })
}

/// Decodes a list of ids that Lua's cjson may have encoded as `{}` (it cannot tell an empty
/// array from an empty object).
pub fn id_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum List {
        Ids(Vec<i64>),
        Empty(Map<String, Value>),
    }
    match List::deserialize(deserializer)? {
        List::Ids(mut ids) => {
            ids.sort_unstable();
            Ok(ids)
        }
        List::Empty(map) if map.is_empty() => Ok(Vec::new()),
        List::Empty(_) => Err(serde::de::Error::custom("expected a list of ids")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_names_single_keys_and_lists_in_order() {
        let call = ScriptCall::new()
            .key("sold", "s".into())
            .keys("seat", ["a".to_string(), "b".to_string()])
            .key("version", "v".into())
            .arg("session", "abc")
            .arg("seats", [1, 2]);
        assert_eq!(call.keys, ["s", "a", "b", "v"]);
        let argument: Value = serde_json::from_str(&call.argument()).unwrap();
        assert_eq!(
            argument,
            serde_json::json!({
                "keys": ["sold", ["seat", 2], "version"],
                "args": { "session": "abc", "seats": [1, 2] },
            })
        );
    }

    #[test]
    fn id_lists_accept_the_empty_object_lua_sends_for_an_empty_list() {
        #[derive(Deserialize)]
        struct Reply {
            #[serde(deserialize_with = "id_list")]
            seats: Vec<i64>,
        }
        let empty: Reply = serde_json::from_str(r#"{"seats":{}}"#).unwrap();
        assert!(empty.seats.is_empty());
        let some: Reply = serde_json::from_str(r#"{"seats":[3,1]}"#).unwrap();
        assert_eq!(some.seats, [1, 3]);
        assert!(serde_json::from_str::<Reply>(r#"{"seats":{"a":1}}"#).is_err());
    }
}
