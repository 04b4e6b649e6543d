//! Idempotent purchases: a purchase key buys at most one order, however often it is sent.
//!
//! - The order made under the key (a `pending` row written before the card is charged, see
//!   [`orders`]) is the durable record: `UNIQUE (idempotency_key) WHERE status <> 'failed'`
//!   lets one live order exist per key. A later request with the same content (and session)
//!   gets that order; a different request under the key is refused.
//! - While one attempt runs, it holds an in-flight lock in Redis (`idem:<key>`, a random
//!   token as its value, released only by its owner), so a double-clicked "Pay" waits for the
//!   first attempt instead of starting a second one.
//! - The lock outlives the longest an attempt can take (a payment timeout to charge, one to
//!   settle an unknown outcome, and margin); a lock that expired (its attempt died) lets the
//!   next request take over and settle whatever the dead attempt left. A retry does not wait
//!   that long when the attempt is evidently gone (its order pending past the stale bound, or
//!   no order a whole payment timeout after it started): it takes the lock over.

use std::time::Duration;

use crate::server::redis_client::Redis;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::keys::Keyspace;
use super::orders::{self, StoredOrder};
use super::script::{self, Contract, ScriptCall, lua_script};
use crate::app::booking::{BuyerName, CardNumber, Email, IdempotencyKey};
use crate::app::error::AppError;

/// How long a concurrent retry waits for the first attempt to finish.
const RETRY_WAIT: Duration = Duration::from_secs(15);
const RETRY_POLL: Duration = Duration::from_millis(100);

/// Who asks for which purchase under which key.
#[derive(Debug, Clone)]
pub struct PurchaseClaim {
    pub session: String,
    pub key: IdempotencyKey,
    /// What makes two requests "the same purchase" (see [`fingerprint`]).
    pub fingerprint: String,
}

/// The in-flight lock of one attempt.
#[must_use = "release the lock to let a retry through"]
pub struct InFlight {
    redis: Redis,
    lock: String,
    token: String,
}

impl InFlight {
    /// Gives the lock back, if it is still this attempt's (it may have expired and been
    /// taken by another).
    pub async fn release(mut self) {
        let release = ReleaseLock {
            lock: &self.lock,
            token: &self.token,
        };
        if let Err(error) = script::run(&mut self.redis, &release).await {
            tracing::warn!(
                ?error,
                "could not release a purchase lock; it expires by itself"
            );
        }
    }
}

/// `release_lock.lua`: delete the lock only if it still holds our token.
struct ReleaseLock<'a> {
    lock: &'a str,
    token: &'a str,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum ReleaseLockReply {
    Released,
    NotOurs,
}

impl Contract for ReleaseLock<'_> {
    type Reply = ReleaseLockReply;

    lua_script!(
        "release_lock",
        "if redis.call('GET', K.lock) == A.token then
           redis.call('DEL', K.lock)
           return reply('released')
         end
         return reply('not_ours')"
    );

    fn call(&self) -> ScriptCall {
        ScriptCall::new()
            .key("lock", self.lock.to_owned())
            .arg("token", self.token)
    }
}

#[derive(Clone)]
pub struct Idempotency {
    redis: Redis,
    keyspace: Keyspace,
    /// How long the lock lasts: longer than any attempt can run.
    lock_ttl: Duration,
    payment_timeout: Duration,
}

impl Idempotency {
    pub fn new(redis: Redis, keyspace: Keyspace, payment_timeout: Duration) -> Self {
        Self {
            redis,
            keyspace,
            lock_ttl: payment_timeout * 2 + Duration::from_secs(30),
            payment_timeout,
        }
    }

    /// Takes the key's in-flight lock, or `None` if another attempt holds it.
    pub async fn lock(&self, claim: &PurchaseClaim) -> Result<Option<InFlight>, AppError> {
        let lock = self.keyspace.idempotency(claim.key.as_str());
        let token = crate::server::session::random_token();
        let acquired: Option<String> = redis::cmd("SET")
            .arg(&lock)
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(u64::try_from(self.lock_ttl.as_millis()).unwrap_or(u64::MAX))
            .query_async(&mut self.redis.clone())
            .await?;
        Ok(acquired.map(|_| InFlight {
            redis: self.redis.clone(),
            lock,
            token,
        }))
    }

    /// The live order made under the claim's key, if the request is the same; an error if
    /// the key was used for something else (or by someone else).
    pub async fn existing(
        &self,
        db: &PgPool,
        claim: &PurchaseClaim,
    ) -> Result<Option<StoredOrder>, AppError> {
        let Some(stored) = orders::find_by_key(db, claim.key.as_str()).await? else {
            return Ok(None);
        };
        if stored.request_hash != claim.fingerprint || stored.session_id != claim.session {
            return Err(AppError::IdempotencyMismatch);
        }
        Ok(Some(stored))
    }

    /// Waits while another attempt holds the lock, for its order to be settled. Gives up
    /// waiting early when that attempt is evidently gone: its order has been pending longer
    /// than any live attempt can take (`stale`), or it made no order in a whole payment
    /// timeout (it died before writing one). Then the caller may take the lock over.
    pub async fn wait_for_other_attempt(
        &self,
        db: &PgPool,
        claim: &PurchaseClaim,
        stale: Duration,
    ) -> Result<Waited, AppError> {
        let lock = self.keyspace.idempotency(claim.key.as_str());
        let stale_ms = i64::try_from(stale.as_millis()).unwrap_or(i64::MAX);
        let ttl_ms = i64::try_from(self.lock_ttl.as_millis()).unwrap_or(i64::MAX);
        let orderless_ms = i64::try_from(self.payment_timeout.as_millis()).unwrap_or(i64::MAX);
        let deadline = tokio::time::Instant::now() + RETRY_WAIT;
        loop {
            let order = self.existing(db, claim).await?;
            if let Some(order) = &order
                && !matches!(order.status, orders::OrderStatus::Pending)
            {
                return Ok(Waited::Settled(order.clone()));
            }
            let (holder, left_ms): (Option<String>, i64) = redis::pipe()
                .get(&lock)
                .pttl(&lock)
                .query_async(&mut self.redis.clone())
                .await?;
            let Some(holder) = holder else {
                return Ok(Waited::Free);
            };
            let gone = match &order {
                Some(order) => order.idle_ms > stale_ms,
                // The lock's age: what its TTL has lost since it was taken.
                None => left_ms >= 0 && ttl_ms - left_ms > orderless_ms,
            };
            if gone {
                return Ok(Waited::Abandoned { holder });
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(Waited::Running);
            }
            tokio::time::sleep(RETRY_POLL).await;
        }
    }

    /// Takes the lock from an attempt [`Waited::Abandoned`] found gone, unless someone else
    /// took it first. Should the old attempt wake up after all, its order is settled (voided
    /// at the gateway) by the new one, and its unlock no longer matches.
    pub async fn take_over(
        &self,
        claim: &PurchaseClaim,
        holder: &str,
    ) -> Result<Option<InFlight>, AppError> {
        let lock = self.keyspace.idempotency(claim.key.as_str());
        let token = crate::server::session::random_token();
        let take = TakeOver {
            lock: &lock,
            holder,
            token: &token,
            ttl_ms: u64::try_from(self.lock_ttl.as_millis()).unwrap_or(u64::MAX),
        };
        Ok(match script::run(&mut self.redis.clone(), &take).await? {
            TakeOverReply::Taken => Some(InFlight {
                redis: self.redis.clone(),
                lock,
                token,
            }),
            TakeOverReply::NotOurs => None,
        })
    }
}

/// How waiting for another attempt ended.
#[derive(Debug)]
pub enum Waited {
    /// Its order is settled (paid, fulfilled or refunded): that is the answer.
    Settled(StoredOrder),
    /// The lock is free: try again.
    Free,
    /// It still runs, as far as anyone can tell.
    Running,
    /// It is gone (see [`Idempotency::wait_for_other_attempt`]); `holder` is its lock token.
    Abandoned { holder: String },
}

/// `take_over.lua`: replace a dead attempt's lock token with ours, if it is still theirs.
struct TakeOver<'a> {
    lock: &'a str,
    holder: &'a str,
    token: &'a str,
    ttl_ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum TakeOverReply {
    Taken,
    NotOurs,
}

impl Contract for TakeOver<'_> {
    type Reply = TakeOverReply;

    lua_script!(
        "take_over",
        "if redis.call('GET', K.lock) == A.holder then
           redis.call('SET', K.lock, A.token, 'PX', A.ttl)
           return reply('taken')
         end
         return reply('not_ours')"
    );

    fn call(&self) -> ScriptCall {
        ScriptCall::new()
            .key("lock", self.lock.to_owned())
            .arg("holder", self.holder)
            .arg("token", self.token)
            .arg("ttl", self.ttl_ms)
    }
}

/// What identifies "the same purchase": showtime, seats, buyer and the card's last digits.
/// The full card number is deliberately not part of it (nothing of it beyond the last four
/// digits is kept, not even a hash).
pub fn fingerprint(
    showtime: i64,
    seats: &[i64],
    name: &BuyerName,
    email: &Email,
    card: &CardNumber,
) -> String {
    let seats: Vec<String> = seats.iter().map(i64::to_string).collect();
    let canonical = format!(
        "v1\n{showtime}\n{}\n{}\n{}\n{}",
        seats.join(","),
        name.as_str(),
        email.as_str().to_lowercase(),
        card.last4()
    );
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
