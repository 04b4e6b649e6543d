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
//!   next request take over and settle whatever the dead attempt left.

use std::time::Duration;

use crate::server::redis_client::Redis;
use redis::AsyncCommands;
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
}

impl Idempotency {
    pub fn new(redis: Redis, keyspace: Keyspace, payment_timeout: Duration) -> Self {
        Self {
            redis,
            keyspace,
            lock_ttl: payment_timeout * 2 + Duration::from_secs(30),
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

    /// Waits while another attempt holds the lock, for its order to be paid. `None` when the
    /// wait ended without one (the attempt failed, is still paying, or died).
    pub async fn wait_for_other_attempt(
        &self,
        db: &PgPool,
        claim: &PurchaseClaim,
    ) -> Result<Option<StoredOrder>, AppError> {
        let lock = self.keyspace.idempotency(claim.key.as_str());
        let deadline = tokio::time::Instant::now() + RETRY_WAIT;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(RETRY_POLL).await;
            if let Some(order) = self.existing(db, claim).await?
                && matches!(
                    order.status,
                    orders::OrderStatus::Paid | orders::OrderStatus::Fulfilled
                )
            {
                return Ok(Some(order));
            }
            let in_flight: bool = self.redis.clone().exists(&lock).await?;
            if !in_flight {
                break;
            }
        }
        Ok(None)
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
