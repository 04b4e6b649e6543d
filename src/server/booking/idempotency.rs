//! Idempotent purchases: a purchase key buys at most one order, however often it is sent.
//!
//! - An order already made under the key is the answer to every later request with the same
//!   content (and the same session); a different request under the key is refused.
//! - While one attempt runs, it holds an in-flight lock in Redis (`idem:<key>`), so a
//!   double-clicked "Pay" cannot charge twice; a concurrent retry waits for its order.
//!
//! The order itself (with its key, under a `UNIQUE` constraint) is the durable record; the lock
//! only keeps two attempts from running at once.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::keys::Keyspace;
use super::orders;
use super::showtimes::ShowtimeCache;
use crate::app::booking::{BuyerName, CardNumber, Email, IdempotencyKey, OrderView};
use crate::app::error::AppError;

/// How long a purchase may hold its idempotency key before another attempt may take over.
const IN_FLIGHT_TTL: Duration = Duration::from_secs(60);
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

/// What to do with a purchase request.
pub enum Attempt {
    /// It was made before: this is its order.
    Done(OrderView),
    /// Go ahead; finish the guard when done, whatever the outcome.
    Run(InFlight),
}

/// The in-flight lock of one attempt.
#[must_use = "finish the attempt to let a retry through"]
pub struct InFlight {
    redis: ConnectionManager,
    lock: String,
}

impl InFlight {
    pub async fn finish(mut self) {
        let _: Result<(), _> = self.redis.del(&self.lock).await;
    }
}

#[derive(Clone)]
pub struct Idempotency {
    redis: ConnectionManager,
    keyspace: Keyspace,
}

impl Idempotency {
    pub fn new(redis: ConnectionManager, keyspace: Keyspace) -> Self {
        Self { redis, keyspace }
    }

    /// Replays a finished purchase, waits for a running one, or lets this one run.
    pub async fn begin(
        &self,
        db: &PgPool,
        showtimes: &ShowtimeCache,
        claim: &PurchaseClaim,
    ) -> Result<Attempt, AppError> {
        if let Some(order) = self.replay(db, showtimes, claim).await? {
            return Ok(Attempt::Done(order));
        }
        let lock = self.keyspace.idempotency(claim.key.as_str());
        let acquired: Option<String> = redis::cmd("SET")
            .arg(&lock)
            .arg(&claim.session)
            .arg("NX")
            .arg("PX")
            .arg(u64::try_from(IN_FLIGHT_TTL.as_millis()).unwrap_or(u64::MAX))
            .query_async(&mut self.redis.clone())
            .await?;
        if acquired.is_none() {
            return self
                .wait_for_first_attempt(db, showtimes, claim)
                .await
                .map(Attempt::Done);
        }
        let guard = InFlight {
            redis: self.redis.clone(),
            lock,
        };
        // A concurrent attempt may have finished between our first look and taking the lock.
        match self.replay(db, showtimes, claim).await {
            Ok(Some(order)) => {
                guard.finish().await;
                Ok(Attempt::Done(order))
            }
            Ok(None) => Ok(Attempt::Run(guard)),
            Err(error) => {
                guard.finish().await;
                Err(error)
            }
        }
    }

    /// The order already made under the claim's key, if the request is the same; an error if
    /// the key was used for something else (or by someone else).
    pub async fn replay(
        &self,
        db: &PgPool,
        showtimes: &ShowtimeCache,
        claim: &PurchaseClaim,
    ) -> Result<Option<OrderView>, AppError> {
        let Some(stored) = orders::find_by_key(db, claim.key.as_str()).await? else {
            return Ok(None);
        };
        if stored.request_hash != claim.fingerprint || stored.session_id != claim.session {
            return Err(AppError::IdempotencyMismatch);
        }
        orders::view(db, showtimes, &stored.code).await
    }

    async fn wait_for_first_attempt(
        &self,
        db: &PgPool,
        showtimes: &ShowtimeCache,
        claim: &PurchaseClaim,
    ) -> Result<OrderView, AppError> {
        let lock = self.keyspace.idempotency(claim.key.as_str());
        let deadline = tokio::time::Instant::now() + RETRY_WAIT;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(RETRY_POLL).await;
            if let Some(order) = self.replay(db, showtimes, claim).await? {
                return Ok(order);
            }
            let in_flight: bool = self.redis.clone().exists(&lock).await?;
            if !in_flight {
                // The first attempt failed without an order; its error went to its caller.
                break;
            }
        }
        Err(AppError::PurchaseInProgress)
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
