//! The hold engine: every seat hold, release, extension, checkout and sale in Redis.
//!
//! One Lua script per operation (in `lua/`, beside this module), so each is atomic: a seat is
//! checked and taken in one step and two sessions can never both get it. The scripts also
//! bump the showtime's version and publish the change, in the same step. This module owns
//! the showtime's Redis keys (see `keys`); nothing else touches them.
//!
//! Time comes from Redis (`TIME`), never from an app server's clock, so several instances
//! agree on when a hold ends.
//!
//! - this file: the engine, its rules, its scripts and the sold-seat cache they rely on;
//! - [`seats`](self::seats): hold, release, extend;
//! - [`sale`](self::sale): the Redis steps of a purchase;
//! - [`view`](self::view): the atomic snapshot of every seat for one viewer;
//! - [`expiry`](self::expiry): announcing lapsed holds (the sweeper's pass).

mod expiry;
mod sale;
mod seats;
mod view;

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script, ScriptInvocation};
use sqlx::PgPool;

use super::keys::ShowtimeKeys;
use crate::app::booking::HoldStatus;
use crate::app::error::AppError;
use crate::server::Settings;

struct Scripts {
    hold: Script,
    release: Script,
    extend: Script,
    checkout: Script,
    sold: Script,
    load_sold: Script,
    expire: Script,
    snapshot: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            hold: Script::new(include_str!("lua/hold.lua")),
            release: Script::new(include_str!("lua/release.lua")),
            extend: Script::new(include_str!("lua/extend.lua")),
            checkout: Script::new(include_str!("lua/checkout.lua")),
            sold: Script::new(include_str!("lua/sold.lua")),
            load_sold: Script::new(include_str!("lua/load_sold.lua")),
            expire: Script::new(include_str!("lua/expire.lua")),
            snapshot: Script::new(include_str!("lua/snapshot.lua")),
        }
    }
}

/// Hold rules, from settings.
#[derive(Debug, Clone, Copy)]
pub struct HoldRules {
    pub ttl: Duration,
    pub max_seats: u32,
    pub extension: Duration,
    pub max_extensions: u32,
    /// How long a hold is kept alive once checkout starts, to cover the payment.
    pub checkout_grace: Duration,
}

impl HoldRules {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            ttl: settings.hold_ttl,
            max_seats: settings.max_seats_per_hold,
            extension: settings.hold_extension,
            max_extensions: settings.hold_extensions,
            checkout_grace: settings.checkout_grace,
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

/// A release: what is still held, and whether anyone waits in line for the freed seats.
#[derive(Debug)]
pub struct Released {
    pub status: HoldStatus,
    pub line_waiting: bool,
}

/// What `begin_checkout` found wrong, so purchase can name the seats.
#[derive(Debug)]
pub enum CheckoutRefusal {
    Sold(Vec<i64>),
    NotYours(Vec<i64>),
    Expired(Vec<i64>),
    /// The hold has other seats than the ones being bought.
    Mismatch,
}

#[derive(Clone)]
pub struct HoldEngine {
    redis: ConnectionManager,
    prefix: Arc<str>,
    rules: HoldRules,
    scripts: Arc<Scripts>,
}

/// Milliseconds, as the scripts take them.
pub(in crate::server::booking) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A number in a script's reply (a malformed one is our bug: logged, answered as internal).
pub(in crate::server::booking) fn num<T: std::str::FromStr>(
    value: Option<&String>,
) -> Result<T, AppError> {
    value.and_then(|v| v.parse().ok()).ok_or_else(|| {
        tracing::error!(?value, "malformed reply from a Redis script");
        AppError::Internal
    })
}

fn ids(values: &[String]) -> Vec<i64> {
    let mut ids: Vec<i64> = values.iter().filter_map(|v| v.parse().ok()).collect();
    ids.sort_unstable();
    ids
}

impl HoldEngine {
    pub fn new(redis: ConnectionManager, prefix: &str, rules: HoldRules) -> Self {
        Self {
            redis,
            prefix: prefix.into(),
            rules,
            scripts: Arc::new(Scripts::new()),
        }
    }

    pub fn rules(&self) -> HoldRules {
        self.rules
    }

    pub fn keys(&self, showtime: i64) -> ShowtimeKeys {
        ShowtimeKeys::new(&self.prefix, showtime)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn redis(&self) -> ConnectionManager {
        self.redis.clone()
    }

    fn status(
        &self,
        showtime: i64,
        seats: Vec<i64>,
        expires_at: i64,
        now: i64,
        used: u32,
        version: u64,
    ) -> HoldStatus {
        HoldStatus {
            showtime_id: showtime,
            seat_ids: seats,
            expires_in_ms: (expires_at - now).max(0),
            extensions_left: self.rules.max_extensions.saturating_sub(used),
            version,
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

    /// Reloads the sold seats of a showtime from Postgres (the truth) after Redis lost them.
    #[tracing::instrument(skip(self, db))]
    pub async fn rebuild_sold(&self, db: &PgPool, showtime: i64) -> Result<(), AppError> {
        let sold: Vec<i64> =
            sqlx::query_scalar("SELECT seat_id FROM tickets WHERE showtime_id = $1")
                .bind(showtime)
                .fetch_all(db)
                .await?;
        let keys = self.keys(showtime);
        let mut invocation = self.scripts.load_sold.prepare_invoke();
        invocation
            .key(keys.sold())
            .key(keys.sold_loaded())
            .key(keys.version())
            .arg(keys.channel());
        for seat in &sold {
            invocation.arg(*seat);
        }
        let _: String = invocation.invoke_async(&mut self.redis()).await?;
        tracing::info!(sold = sold.len(), "sold seats rebuilt from Postgres");
        Ok(())
    }

    /// Runs a script that refuses to act while the sold-seat cache is missing (it answers
    /// `needs_sold`), rebuilding the cache from Postgres and retrying when it does. The
    /// waiting line's scripts rely on the same cache.
    pub(in crate::server::booking) async fn invoke_with_sold(
        &self,
        db: &PgPool,
        showtime: i64,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<Vec<String>, AppError> {
        for _ in 0..3 {
            let reply: Vec<String> = invocation.invoke_async(&mut self.redis()).await?;
            if reply.first().map(String::as_str) != Some("needs_sold") {
                return Ok(reply);
            }
            self.rebuild_sold(db, showtime).await?;
        }
        tracing::error!("sold seats could not be rebuilt in three attempts");
        Err(AppError::Internal)
    }
}

/// A script answered something it never answers (our bug: logged, answered as internal).
pub(in crate::server::booking) fn unexpected(reply: &[String]) -> AppError {
    tracing::error!(?reply, "unexpected reply from a Redis script");
    AppError::Internal
}
