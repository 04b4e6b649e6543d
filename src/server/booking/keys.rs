//! Redis key names of one showtime.
//!
//! Every key of a showtime carries the hash tag `{st:<id>}`, so on Redis Cluster all of them
//! live in one slot and one Lua script may touch them all. Scripts receive every key they
//! touch in `KEYS` (never building names themselves), as Redis and a Redis Cluster proxy
//! require: even the waiting line's `serve` script, which decides inside Redis who gets an
//! offer, is given the holder keys of everyone in line (see `line/lua/serve.lua`).
//!
//! A [`Keyspace`] is the deployment's prefix; each service that owns keys gets one and
//! builds its names from it, so no other module formats a key.
//!
//! | key | type | holds |
//! |---|---|---|
//! | `<p>:{st:S}:hold:<seat>` | string, TTL | the session holding the seat; the TTL *is* the lock |
//! | `<p>:{st:S}:holder:<session>` | hash, TTL | `expires_at` (ms) and `extensions` of that session's hold; `offer` = 1 when the waiting line offered it |
//! | `<p>:{st:S}:holder:<session>:seats` | set, TTL | the seats of that session's hold |
//! | `<p>:{st:S}:expiry` | sorted set | seat → expiry (ms), for the sweeper |
//! | `<p>:{st:S}:sold` | set | sold seats (a cache of Postgres) |
//! | `<p>:{st:S}:sold:loaded` | string | present once `sold` has been rebuilt from Postgres |
//! | `<p>:{st:S}:version` | counter | bumped by every change |
//! | `<p>:{st:S}:events` | pub/sub channel | one JSON event per change |
//! | `<p>:{st:S}:line` | sorted set | the waiting line: session → join number (FIFO) |
//! | `<p>:{st:S}:line:party` | hash | session → party size of everyone in line |
//! | `<p>:{st:S}:line:seq` | counter | the last join number handed out |
//! | `<p>:{st:S}:line:served` | string | present once the line has been served since seats were last freed |
//! | `<p>:{st:S}:line:ip` | hash | session → client address of everyone in line (the per-address cap) |
//! | `<p>:{st:S}:ip:<client>:seats` | sorted set, TTL | seat → hold expiry (ms) of the seats held from one client address |
//! | `<p>:sweep` | sorted set | showtime → when the sweeper should next look at it |
//! | `<p>:{rl:<client>}:<budget>:ip`, `…:s:<session hash>` | string, TTL | a rate-limit bucket (GCRA: the theoretical arrival time, ms) of one client address, and of one of its sessions |
//! | `<p>:{rl:card:<fingerprint>}:declines` | string, TTL | declined payments of one card |
//! | `<p>:idem:<key>` | string, TTL | a purchase in progress under that idempotency key |
//! | `<p>:catalog` | pub/sub channel | "the catalog changed": every instance empties its catalog caches |
//! | `<p>:{os:O}:seed` | string | the on-sale's secret draw seed (its SHA-256 is published before the opening, the seed after) |
//! | `<p>:{os:O}:queue` | sorted set | entry → place: a number from the draw for those who came before the opening, 2^48 + arrival number after |
//! | `<p>:{os:O}:drawn` | set | the entries that came before the opening (published after it, for anyone to redo the draw) |
//! | `<p>:{os:O}:sessions` / `:addresses` | hash | session → its entry; client address → how many places it has |
//! | `<p>:{os:O}:entries` | hash | entry → `<state>:<session>` (`waiting`, `admitted`, `left`, `expired`) |
//! | `<p>:{os:O}:seq` | counter | the last arrival number after the opening |
//! | `<p>:{os:O}:active` | sorted set | admitted entry → when its admission ends (ms) |
//! | `<p>:{os:O}:admits` | sorted set | entry → when it was admitted (ms), the last minute only: the measured rate |
//! | `<p>:{os:O}:bucket` | hash | the admission rate's token bucket (`tokens`, `at`) |
//! | `<p>:{os:O}:total` | counter | admissions so far |

use std::sync::Arc;

/// Every Redis key of one deployment starts with its prefix (tests give each app its own).
#[derive(Debug, Clone)]
pub struct Keyspace {
    prefix: Arc<str>,
    /// Live events go out on sharded channels (`SPUBLISH`, Redis Cluster), so a showtime's
    /// channel lives on the shard of its keys; otherwise on plain ones (`PUBLISH`).
    sharded: bool,
}

impl Keyspace {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.into(),
            sharded: false,
        }
    }

    /// The keyspace of a Redis Cluster deployment: sharded live channels.
    pub fn sharded(prefix: &str) -> Self {
        Self {
            sharded: true,
            ..Self::new(prefix)
        }
    }

    pub fn showtime(&self, showtime: i64) -> ShowtimeKeys {
        ShowtimeKeys {
            sharded: self.sharded,
            ..ShowtimeKeys::new(&self.prefix, showtime)
        }
    }

    /// Showtime → when the sweeper should next look at it.
    pub fn sweep_index(&self) -> String {
        format!("{}:sweep", self.prefix)
    }

    /// The deployment's prefix (also what keyed hashes in key names are salted with).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A rate-limit bucket: `budget` of one client address, for `who` (`ip`, or a session).
    pub fn rate_bucket(&self, client: &str, budget: &str, who: &str) -> String {
        format!("{}:{{rl:{client}}}:{budget}:{who}", self.prefix)
    }

    /// The declined payments of one card (by its fingerprint).
    pub fn card_declines(&self, fingerprint: &str) -> String {
        format!("{}:{{rl:card:{fingerprint}}}:declines", self.prefix)
    }

    /// A purchase in progress under an idempotency key.
    pub fn idempotency(&self, key: &str) -> String {
        format!("{}:idem:{key}", self.prefix)
    }

    /// The channel on which catalog changes are announced (`catalog::changes`).
    pub fn catalog_channel(&self) -> String {
        format!("{}:catalog", self.prefix)
    }
}

impl Keyspace {
    /// The keys of one on-sale's waiting room.
    pub fn room(&self, on_sale: i64) -> RoomKeys {
        RoomKeys {
            base: format!("{}:{{os:{on_sale}}}", self.prefix),
        }
    }
}

/// Redis keys of one on-sale's waiting room: one hash tag, so its scripts are atomic on a
/// Redis Cluster too.
#[derive(Debug, Clone)]
pub struct RoomKeys {
    base: String,
}

impl RoomKeys {
    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.base)
    }

    pub fn seed(&self) -> String {
        self.key("seed")
    }

    pub fn queue(&self) -> String {
        self.key("queue")
    }

    pub fn drawn(&self) -> String {
        self.key("drawn")
    }

    pub fn sessions(&self) -> String {
        self.key("sessions")
    }

    pub fn addresses(&self) -> String {
        self.key("addresses")
    }

    pub fn entries(&self) -> String {
        self.key("entries")
    }

    pub fn seq(&self) -> String {
        self.key("seq")
    }

    pub fn active(&self) -> String {
        self.key("active")
    }

    pub fn admits(&self) -> String {
        self.key("admits")
    }

    pub fn bucket(&self) -> String {
        self.key("bucket")
    }

    pub fn total(&self) -> String {
        self.key("total")
    }

    /// Every key of the room (they expire together, a while after the on-sale).
    pub fn all(&self) -> Vec<String> {
        vec![
            self.seed(),
            self.queue(),
            self.drawn(),
            self.sessions(),
            self.addresses(),
            self.entries(),
            self.seq(),
            self.active(),
            self.admits(),
            self.bucket(),
            self.total(),
        ]
    }
}

#[derive(Debug, Clone)]
pub struct ShowtimeKeys {
    base: String,
    sharded: bool,
}

/// Where a script publishes its live event: the channel, and whether it is sharded (the
/// prelude's `publish` picks `SPUBLISH` or `PUBLISH` from it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventChannel {
    pub name: String,
    pub sharded: bool,
}

impl ShowtimeKeys {
    pub fn new(prefix: &str, showtime: i64) -> Self {
        Self {
            base: format!("{prefix}:{{st:{showtime}}}"),
            sharded: false,
        }
    }

    pub fn seat(&self, seat: i64) -> String {
        format!("{}:hold:{seat}", self.base)
    }

    pub fn holder(&self, session: &str) -> String {
        format!("{}:holder:{session}", self.base)
    }

    pub fn holder_seats(&self, session: &str) -> String {
        format!("{}:holder:{session}:seats", self.base)
    }

    pub fn expiry(&self) -> String {
        format!("{}:expiry", self.base)
    }

    pub fn sold(&self) -> String {
        format!("{}:sold", self.base)
    }

    pub fn sold_loaded(&self) -> String {
        format!("{}:sold:loaded", self.base)
    }

    pub fn version(&self) -> String {
        format!("{}:version", self.base)
    }

    pub fn line(&self) -> String {
        format!("{}:line", self.base)
    }

    pub fn line_party(&self) -> String {
        format!("{}:line:party", self.base)
    }

    pub fn line_seq(&self) -> String {
        format!("{}:line:seq", self.base)
    }

    pub fn line_served(&self) -> String {
        format!("{}:line:served", self.base)
    }

    /// The seats held from one client address (its [`bucket`](crate::server::client::ClientIp::bucket)).
    pub fn ip_seats(&self, client: &str) -> String {
        format!("{}:ip:{client}:seats", self.base)
    }

    pub fn line_ip(&self) -> String {
        format!("{}:line:ip", self.base)
    }

    /// Every key of the showtime that has no TTL of its own (what expires once it is over).
    pub fn long_lived(&self) -> Vec<String> {
        vec![
            self.sold(),
            self.sold_loaded(),
            self.version(),
            self.expiry(),
            self.line(),
            self.line_party(),
            self.line_seq(),
            self.line_served(),
            self.line_ip(),
        ]
    }

    pub fn channel(&self) -> String {
        format!("{}:events", self.base)
    }

    /// The channel as scripts are given it.
    pub fn event_channel(&self) -> EventChannel {
        EventChannel {
            name: self.channel(),
            sharded: self.sharded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_showtime_key_shares_one_hash_tag() {
        let keys = Keyspace::new("mq").showtime(42);
        for key in [
            keys.seat(7),
            keys.holder("abc"),
            keys.holder_seats("abc"),
            keys.expiry(),
            keys.sold(),
            keys.sold_loaded(),
            keys.version(),
            keys.line(),
            keys.line_party(),
            keys.line_seq(),
            keys.line_served(),
            keys.line_ip(),
            keys.ip_seats("10.0.0.1"),
        ] {
            let tag = &key[key.find('{').unwrap() + 1..key.find('}').unwrap()];
            assert_eq!(tag, "st:42", "{key}");
        }
        assert_eq!(keys.holder_seats("abc"), keys.holder("abc") + ":seats");
    }

    #[test]
    fn every_room_key_shares_one_hash_tag() {
        for key in Keyspace::new("mq").room(9).all() {
            let tag = &key[key.find('{').unwrap() + 1..key.find('}').unwrap()];
            assert_eq!(tag, "os:9", "{key}");
        }
    }
}
