//! Rate limits shared by every instance: GCRA buckets in Redis, checked by one atomic script.
//!
//! A session is free (a request without a cookie gets a new one), so every budget that guards
//! against bots is kept per client address as well as per session; declined payments are
//! also counted per card, so card testing is stopped however it is spread.
//!
//! Keys (see `booking::keys`): one hash tag per client, so its buckets share a slot and one
//! script checks them all on Redis Cluster; a card's declines have a slot of their own.
//!
//! No crate fits: the well-kept limiters (`governor`, …) keep their state in process and so
//! cannot share a budget between instances; the GCRA itself is a dozen lines of Lua.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::server::redis_client::Redis;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::app::booking::CardNumber;
use crate::app::error::AppError;
use crate::server::booking::keys::Keyspace;
use crate::server::booking::script::{self, Contract, ScriptCall, lua_script};
use crate::server::client::ClientIp;
use crate::server::session::SessionId;

/// `count` requests per `period`, all at once if need be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

impl Rate {
    pub const fn per_minute(count: u32) -> Self {
        Self {
            count,
            period: Duration::from_secs(60),
        }
    }

    pub const fn per_hour(count: u32) -> Self {
        Self {
            count,
            period: Duration::from_secs(3600),
        }
    }

    /// At least a millisecond: a budget of more than one request per millisecond is
    /// counted as one per millisecond.
    fn interval_ms(&self) -> u64 {
        (u64::try_from(self.period.as_millis()).unwrap_or(u64::MAX) / u64::from(self.count.max(1)))
            .max(1)
    }

    fn tolerance_ms(&self) -> u64 {
        u64::try_from(self.period.as_millis()).unwrap_or(u64::MAX)
    }
}

/// `"<count>/<seconds>"`, e.g. `30/60` for thirty a minute.
impl FromStr for Rate {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (count, secs) = raw
            .split_once('/')
            .ok_or_else(|| format!("expected <count>/<seconds>, got {raw}"))?;
        let count: u32 = count.trim().parse().map_err(|_| "bad count".to_string())?;
        let secs: u64 = secs.trim().parse().map_err(|_| "bad seconds".to_string())?;
        if count == 0 || secs == 0 {
            return Err("count and seconds must be at least 1".into());
        }
        Ok(Self {
            count,
            period: Duration::from_secs(secs),
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, self.period.as_secs())
    }
}

/// What is counted, and how much of it each client and session may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Sessions handed out to one address (a cookie-less client gets one per request).
    NewSessions,
    /// Hold, release and extend calls.
    Holds,
    /// Purchase attempts.
    Purchases,
    /// Declined payments (also counted per card).
    Declines,
    /// Joining a waiting line.
    LineJoins,
    /// Opening a live-feed WebSocket.
    SocketConnects,
    /// Snapshots asked for over a live-feed WebSocket.
    Resyncs,
    /// Staff sign-in attempts (besides each account's own lockout).
    StaffLogins,
}

impl Budget {
    fn name(self) -> &'static str {
        match self {
            Self::NewSessions => "sessions",
            Self::Holds => "holds",
            Self::Purchases => "purchases",
            Self::Declines => "declines",
            Self::LineJoins => "joins",
            Self::SocketConnects => "sockets",
            Self::Resyncs => "resyncs",
            Self::StaffLogins => "logins",
        }
    }
}

/// The budgets, from settings (`RATE_<NAME>` = `<count>/<seconds>`; `RATE_LIMITS=false`
/// turns every one off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    pub enabled: bool,
    pub new_sessions_per_ip: Rate,
    pub holds_per_session: Rate,
    pub holds_per_ip: Rate,
    pub purchases_per_session: Rate,
    pub purchases_per_ip: Rate,
    pub declines_per_session: Rate,
    pub declines_per_ip: Rate,
    pub declines_per_card: Rate,
    pub joins_per_session: Rate,
    pub joins_per_ip: Rate,
    pub sockets_per_ip: Rate,
    pub resyncs_per_ip: Rate,
    pub staff_logins_per_ip: Rate,
}

impl Default for RateLimits {
    /// Generous for people (a family, a class behind one router, a person clicking fast),
    /// far below what a bot needs to hoard a hall or test cards.
    fn default() -> Self {
        Self {
            enabled: true,
            new_sessions_per_ip: Rate::per_minute(120),
            holds_per_session: Rate::per_minute(60),
            holds_per_ip: Rate::per_minute(600),
            purchases_per_session: Rate::per_minute(10),
            purchases_per_ip: Rate::per_minute(60),
            declines_per_session: Rate::per_hour(5),
            declines_per_ip: Rate::per_hour(20),
            declines_per_card: Rate::per_hour(3),
            joins_per_session: Rate::per_minute(10),
            joins_per_ip: Rate::per_minute(60),
            sockets_per_ip: Rate::per_minute(120),
            resyncs_per_ip: Rate::per_minute(600),
            staff_logins_per_ip: Rate::per_minute(10),
        }
    }
}

impl RateLimits {
    fn rates(&self, budget: Budget) -> (Rate, Option<Rate>) {
        match budget {
            Budget::NewSessions => (self.new_sessions_per_ip, None),
            Budget::Holds => (self.holds_per_ip, Some(self.holds_per_session)),
            Budget::Purchases => (self.purchases_per_ip, Some(self.purchases_per_session)),
            Budget::Declines => (self.declines_per_ip, Some(self.declines_per_session)),
            Budget::LineJoins => (self.joins_per_ip, Some(self.joins_per_session)),
            Budget::SocketConnects => (self.sockets_per_ip, None),
            Budget::Resyncs => (self.resyncs_per_ip, None),
            Budget::StaffLogins => (self.staff_logins_per_ip, None),
        }
    }
}

/// `gcra.lua`: several buckets, all or nothing.
struct Gcra<'a> {
    buckets: &'a [(String, Rate)],
    consume: bool,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum GcraReply {
    Ok,
    Limited { retry_after_ms: u64 },
}

impl Contract for Gcra<'_> {
    type Reply = GcraReply;

    lua_script!("gcra", include_str!("gcra.lua"));

    fn call(&self) -> ScriptCall {
        let rates = self.buckets.iter().map(|(_, rate)| rate);
        ScriptCall::new()
            .keys("bucket", self.buckets.iter().map(|(key, _)| key.clone()))
            .arg(
                "interval",
                rates.clone().map(Rate::interval_ms).collect::<Vec<_>>(),
            )
            .arg(
                "tolerance",
                rates.map(Rate::tolerance_ms).collect::<Vec<_>>(),
            )
            .arg("consume", self.consume)
    }
}

/// Who a limit is about: the client, and its session when it has one.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    pub client: ClientIp,
    pub session: Option<&'a SessionId>,
}

#[derive(Clone)]
pub struct Limiter {
    redis: Redis,
    keyspace: Keyspace,
    limits: RateLimits,
}

impl Limiter {
    pub fn new(redis: Redis, keyspace: Keyspace, limits: RateLimits) -> Self {
        Self {
            redis,
            keyspace,
            limits,
        }
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Counts one `budget` request by `asker`, or refuses it with the time to wait.
    pub async fn spend(&self, budget: Budget, asker: Asker<'_>) -> Result<(), AppError> {
        self.run(&self.buckets(budget, asker), true).await
    }

    /// Refuses now if one more `budget` request by `asker` would be over, without counting.
    pub async fn check(&self, budget: Budget, asker: Asker<'_>) -> Result<(), AppError> {
        self.run(&self.buckets(budget, asker), false).await
    }

    /// Before a charge: refuses while the asker, or anyone using this card, has been declined
    /// too often (card testing).
    pub async fn check_card(&self, asker: Asker<'_>, card: &CardNumber) -> Result<(), AppError> {
        self.run(&self.buckets(Budget::Declines, asker), false)
            .await?;
        // The card's bucket has a slot of its own on a cluster: a second call.
        self.run(&[self.card_bucket(card)], false).await
    }

    /// After a decline: counts it against the asker and the card.
    pub async fn record_decline(&self, asker: Asker<'_>, card: &CardNumber) {
        let buckets = self.buckets(Budget::Declines, asker);
        let card = [self.card_bucket(card)];
        for buckets in [&buckets[..], &card[..]] {
            // Over the limit already: nothing more to count; the next attempt is refused.
            if let Err(error) = self.run(buckets, true).await
                && !matches!(error, AppError::RateLimited { .. })
            {
                tracing::warn!(?error, "could not count a declined payment");
            }
        }
    }

    fn buckets(&self, budget: Budget, asker: Asker<'_>) -> Vec<(String, Rate)> {
        let (per_ip, per_session) = self.limits.rates(budget);
        let client = asker.client.bucket();
        let keys = &self.keyspace;
        let mut buckets = vec![(keys.rate_bucket(&client, budget.name(), "ip"), per_ip)];
        if let (Some(rate), Some(session)) = (per_session, asker.session) {
            let who = format!("s:{}", short_hash(session.as_str()));
            buckets.push((keys.rate_bucket(&client, budget.name(), &who), rate));
        }
        buckets
    }

    fn card_bucket(&self, card: &CardNumber) -> (String, Rate) {
        // A hash of the number with the deployment's prefix, cut to 64 bits: enough to tell
        // cards apart for an hour, too little to be worth keeping (and it expires with the
        // bucket).
        let keys = &self.keyspace;
        let fingerprint = short_hash(&format!("{}:{}", keys.prefix(), card.digits()));
        (
            keys.card_declines(&fingerprint),
            self.limits.declines_per_card,
        )
    }

    async fn run(&self, buckets: &[(String, Rate)], consume: bool) -> Result<(), AppError> {
        if !self.limits.enabled {
            return Ok(());
        }
        let call = Gcra { buckets, consume };
        match script::run(&mut self.redis.clone(), &call).await? {
            GcraReply::Ok => Ok(()),
            GcraReply::Limited { retry_after_ms } => Err(AppError::RateLimited { retry_after_ms }),
        }
    }
}

/// The first 16 hex digits of SHA-256: names a session or card in keys and logs without
/// giving it away.
pub fn short_hash(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_count_per_seconds() {
        assert_eq!("30/60".parse(), Ok(Rate::per_minute(30)));
        assert_eq!(" 3 / 3600 ".parse(), Ok(Rate::per_hour(3)));
        assert!("0/60".parse::<Rate>().is_err());
        assert!("30".parse::<Rate>().is_err());
        assert_eq!(Rate::per_minute(30).to_string(), "30/60");
        assert_eq!(Rate::per_minute(30).interval_ms(), 2000);
        assert_eq!(Rate::per_minute(30).tolerance_ms(), 60_000);
        assert_eq!("1000000/1".parse::<Rate>().unwrap().interval_ms(), 1);
    }
}
