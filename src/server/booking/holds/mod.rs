//! The hold engine: every seat hold, release, extension, checkout and sale in Redis.
//!
//! One Lua script per operation (in `lua/`, beside this module), so each is atomic: a seat is
//! checked and taken in one step and two sessions can never both get it. The scripts also
//! bump the showtime's version and publish the change, in the same step. This module owns
//! the showtime's hold keys (see `keys`); other modules reach them only through its methods.
//!
//! Time comes from Redis (`TIME`), never from an app server's clock, so several instances
//! agree on when a hold ends.
//!
//! - this file: the engine, its rules and the sold-seat cache its scripts rely on;
//! - [`contracts`]: each script's keys, arguments and reply, as Rust types;
//! - [`seats`](self::seats): hold, release, extend;
//! - [`sale`](self::sale): the Redis steps of a purchase;
//! - [`view`](self::view): the atomic snapshot of every seat for one viewer;
//! - [`expiry`](self::expiry): announcing lapsed holds (the sweeper's pass).

pub mod contracts;
mod expiry;
mod sale;

pub use sale::Stretch;
mod seats;
mod view;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::server::redis_client::Redis;
use redis::AsyncCommands;
use sqlx::PgPool;

use self::contracts::{Block, BlockReply, LoadSold, Retire, RetireReply, Unsell, UnsellReply};
use super::keys::{Keyspace, ShowtimeKeys};
use super::script::{self, Contract, SoldCacheReply};
use crate::app::booking::HoldStatus;
use crate::app::error::AppError;
use crate::server::Settings;

/// A showtime's version is `epoch << EPOCH_SHIFT` plus the changes since Redis' state of it was
/// last rebuilt: the epoch lives in Postgres (`showtimes.redis_epoch`) and grows with every
/// rebuild, so a flush or a restart that resets Redis' counter never sends a viewer's version
/// backwards. Versions stay below 10^14, which Lua's cjson still writes as exact integers, for
/// 23,000 rebuilds of one showtime with up to 4 × 10^9 changes each.
pub const EPOCH_SHIFT: u32 = 32;

/// Hold rules, from settings.
#[derive(Debug, Clone, Copy)]
pub struct HoldRules {
    pub ttl: Duration,
    pub max_seats: u32,
    pub extension: Duration,
    pub max_extensions: u32,
    /// How long a hold is kept alive once checkout starts, to cover the payment.
    pub checkout_grace: Duration,
    /// Seats that may be held from one client address per showtime.
    pub max_seats_per_client: u32,
}

impl HoldRules {
    /// The longest a hold may last: its time, every extension, and one checkout.
    pub fn life(&self) -> Duration {
        self.ttl + self.extension * self.max_extensions + self.checkout_grace
    }
}

impl HoldRules {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            ttl: settings.hold_ttl,
            max_seats: settings.max_seats_per_hold,
            extension: settings.hold_extension,
            max_extensions: settings.hold_extensions,
            checkout_grace: settings.checkout_grace,
            max_seats_per_client: settings.max_seats_per_ip,
        }
    }
}

/// What a hold attempt came to.
#[derive(Debug)]
pub enum HoldAttempt {
    Held(HoldStatus),
    /// People are waiting in line and seats changed since it was last served: serve it
    /// (it has first claim on free seats), then try again.
    ServeLineFirst,
}

/// A hold's clock as a script reports it: when it ends and what time it is (both in Redis'
/// clock, ms), the extensions used, and the showtime version.
struct HoldClock {
    expires_at: i64,
    now: i64,
    extensions: u32,
    version: u64,
}

/// A release: what is still held, and whether anyone waits in line for the freed seats.
#[derive(Debug)]
pub struct Released {
    pub status: HoldStatus,
    pub line_waiting: bool,
}

#[derive(Clone)]
pub struct HoldEngine {
    redis: Redis,
    keyspace: Keyspace,
    rules: HoldRules,
    /// One rebuild of a showtime's sold seats at a time on this instance: after a flush,
    /// every request of a busy showtime finds the cache missing at once, and one rebuild
    /// serves them all.
    rebuilds: Arc<std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
}

impl HoldEngine {
    pub fn new(redis: Redis, keyspace: Keyspace, rules: HoldRules) -> Self {
        Self {
            redis,
            keyspace,
            rules,
            rebuilds: Arc::default(),
        }
    }

    /// The same engine with other limits: box office sells a group any number of seats at
    /// once, and every cashier works from the one counter.
    pub fn with_limits(&self, max_seats: u32, max_seats_per_client: u32) -> Self {
        let mut engine = self.clone();
        engine.rules.max_seats = max_seats;
        engine.rules.max_seats_per_client = max_seats_per_client;
        engine
    }

    pub fn rules(&self) -> HoldRules {
        self.rules
    }

    pub fn keys(&self, showtime: i64) -> ShowtimeKeys {
        self.keyspace.showtime(showtime)
    }

    fn redis(&self) -> Redis {
        self.redis.clone()
    }

    /// A hold as the browser sees it, from what a script said of it.
    fn status(&self, showtime: i64, seats: Vec<i64>, clock: HoldClock) -> HoldStatus {
        HoldStatus {
            showtime_id: showtime,
            seat_ids: seats,
            expires_in_ms: (clock.expires_at - clock.now).max(0),
            extensions_left: self.rules.max_extensions.saturating_sub(clock.extensions),
            version: clock.version,
        }
    }

    /// Whether `session`'s hold is seats the waiting line offered it.
    pub async fn is_offer(&self, showtime: i64, session: &str) -> Result<bool, AppError> {
        let offer: Option<String> = self
            .redis()
            .hget(self.keys(showtime).holder(session), "offer")
            .await?;
        Ok(offer.is_some())
    }

    /// The seats of `session`'s hold.
    pub async fn held_by(&self, showtime: i64, session: &str) -> Result<Vec<i64>, AppError> {
        let members: Vec<i64> = self
            .redis()
            .smembers(self.keys(showtime).holder_seats(session))
            .await?;
        let mut members = members;
        members.sort_unstable();
        Ok(members)
    }

    /// Reloads the sold seats of a showtime from Postgres (the truth) after Redis lost them,
    /// starting a new version epoch (see [`EPOCH_SHIFT`]).
    #[tracing::instrument(skip(self, db))]
    pub async fn rebuild_sold(&self, db: &PgPool, showtime: i64) -> Result<(), AppError> {
        let turn = {
            let mut rebuilds = self.rebuilds.lock().unwrap_or_else(|e| e.into_inner());
            rebuilds.entry(showtime).or_default().clone()
        };
        let _turn = turn.lock().await;
        // Someone else's rebuild may have finished while this one waited its turn.
        let loaded: bool = self
            .redis()
            .exists(self.keys(showtime).sold_loaded())
            .await?;
        if loaded {
            return Ok(());
        }
        let sold: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT t.seat_id FROM tickets t JOIN orders o ON o.id = t.order_id
              WHERE t.showtime_id = $1 AND t.active AND o.status IN {}
             UNION SELECT seat_id FROM seat_blocks WHERE showtime_id = $1",
            super::orders::SOLD_STATUSES
        )))
        .bind(showtime)
        .fetch_all(db)
        .await?;
        let epoch: i64 = sqlx::query_scalar(
            "UPDATE showtimes SET redis_epoch = redis_epoch + 1 WHERE id = $1 RETURNING redis_epoch",
        )
        .bind(showtime)
        .fetch_one(db)
        .await?;
        let keys = self.keys(showtime);
        script::run(
            &mut self.redis(),
            &LoadSold {
                keys: &keys,
                sold: &sold,
                base: u64::try_from(epoch).unwrap_or(0) << EPOCH_SHIFT,
            },
        )
        .await?;
        tracing::info!(sold = sold.len(), epoch, "sold seats rebuilt from Postgres");
        Ok(())
    }

    /// Blocks `seats` (staff: nobody may hold them), all or nothing: `Err` names the seats
    /// that are sold, blocked or held.
    pub async fn block(
        &self,
        db: &PgPool,
        showtime: i64,
        seats: &[i64],
    ) -> Result<Result<(), Vec<i64>>, AppError> {
        let keys = self.keys(showtime);
        match self
            .run_with_sold(db, showtime, &Block { keys: &keys, seats })
            .await?
        {
            BlockReply::Ok { .. } => Ok(Ok(())),
            BlockReply::Taken { seats } => Ok(Err(seats)),
            BlockReply::NeedsSold => Err(AppError::Internal),
        }
    }

    /// Frees seats Postgres no longer counts as sold or blocked; how many were freed. The
    /// caller serves the waiting line.
    pub async fn unsell(&self, db: &PgPool, showtime: i64, seats: &[i64]) -> Result<u32, AppError> {
        let keys = self.keys(showtime);
        match self
            .run_with_sold(db, showtime, &Unsell { keys: &keys, seats })
            .await?
        {
            UnsellReply::Ok { freed, .. } => Ok(freed),
            UnsellReply::NeedsSold => Err(AppError::Internal),
        }
    }

    /// A finished showtime's long-lived keys expire at `at` (ms since the epoch).
    pub async fn retire(&self, showtime: i64, at: i64) -> Result<(), AppError> {
        let keys = self.keys(showtime);
        let RetireReply::Ok = script::run(&mut self.redis(), &Retire { keys: &keys, at }).await?;
        Ok(())
    }

    /// Runs a script whose reply may be `NeedsSold` (it refuses to act while the sold-seat
    /// cache is missing), rebuilding the cache from Postgres and retrying when it is. The
    /// waiting line's scripts rely on the same cache.
    pub(in crate::server::booking) async fn run_with_sold<C>(
        &self,
        db: &PgPool,
        showtime: i64,
        contract: &C,
    ) -> Result<C::Reply, AppError>
    where
        C: Contract,
        C::Reply: SoldCacheReply,
    {
        for _ in 0..3 {
            let reply = script::run(&mut self.redis(), contract).await?;
            if !reply.needs_sold() {
                return Ok(reply);
            }
            self.rebuild_sold(db, showtime).await?;
        }
        tracing::error!("sold seats could not be rebuilt in three attempts");
        Err(AppError::Internal)
    }
}
