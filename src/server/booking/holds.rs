//! The hold engine: every seat hold, release, extension, checkout and sale in Redis.
//!
//! One Lua script per operation (in `lua/`, beside this file), so each is atomic: a seat is
//! checked and taken in one step and two sessions can never both get it. The scripts also
//! bump the showtime's version and publish the change, in the same step. This module owns
//! the showtime's Redis keys (see `keys`); nothing else touches them.
//!
//! Time comes from Redis (`TIME`), never from an app server's clock, so several instances
//! agree on when a hold ends.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};
use sqlx::PgPool;

use super::keys::{ShowtimeKeys, sweep_index};
use super::showtimes::ShowtimeInfo;
use crate::app::booking::{HoldStatus, SeatMapState};
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

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn num<T: std::str::FromStr>(value: Option<&String>) -> Result<T, AppError> {
    value.and_then(|v| v.parse().ok()).ok_or_else(|| {
        tracing::error!(?value, "malformed reply from a hold script");
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

    /// Holds `seats` (validated by the caller to exist in the showtime) for `session`.
    #[tracing::instrument(skip(self, db, showtime), fields(showtime = showtime.id))]
    pub async fn hold(
        &self,
        db: &PgPool,
        showtime: &ShowtimeInfo,
        session: &str,
        seats: &[i64],
    ) -> Result<HoldStatus, AppError> {
        let keys = self.keys(showtime.id);
        for _ in 0..3 {
            let mut invocation = self.scripts.hold.prepare_invoke();
            invocation
                .key(keys.sold())
                .key(keys.sold_loaded())
                .key(keys.version())
                .key(keys.expiry())
                .key(keys.holder(session))
                .key(keys.holder_seats(session))
                .arg(session)
                .arg(ms(self.rules.ttl))
                .arg(self.rules.max_seats)
                .arg(keys.channel());
            for &seat in seats {
                invocation.key(keys.seat(seat)).arg(seat);
            }
            let reply: Vec<String> = invocation.invoke_async(&mut self.redis()).await?;
            match reply.first().map(String::as_str) {
                Some("ok") => {
                    let expires_at: i64 = num(reply.get(1))?;
                    let status = self.status(
                        showtime.id,
                        ids(&reply[5..]),
                        expires_at,
                        num(reply.get(4))?,
                        num(reply.get(3))?,
                        num(reply.get(2))?,
                    );
                    self.schedule_sweep(showtime.id, expires_at).await?;
                    return Ok(status);
                }
                Some("taken") => {
                    return Err(AppError::SeatTaken {
                        seats: showtime.names(&ids(&reply[1..])),
                    });
                }
                Some("too_many") => {
                    return Err(AppError::TooManySeats {
                        max: self.rules.max_seats,
                    });
                }
                Some("needs_sold") => self.rebuild_sold(db, showtime.id).await?,
                _ => return Err(unexpected(&reply)),
            }
        }
        tracing::error!("sold seats could not be rebuilt in three attempts");
        Err(AppError::Internal)
    }

    /// Releases `seats` (or, with `None`, every seat of the session's hold).
    #[tracing::instrument(skip(self, showtime), fields(showtime = showtime.id))]
    pub async fn release(
        &self,
        showtime: &ShowtimeInfo,
        session: &str,
        seats: Option<&[i64]>,
    ) -> Result<HoldStatus, AppError> {
        let keys = self.keys(showtime.id);
        let seats = match seats {
            Some(seats) => seats.to_vec(),
            None => self.held_by(showtime.id, session).await?,
        };
        let mut invocation = self.scripts.release.prepare_invoke();
        invocation
            .key(keys.version())
            .key(keys.expiry())
            .key(keys.holder(session))
            .key(keys.holder_seats(session))
            .arg(session)
            .arg(keys.channel());
        for &seat in &seats {
            invocation.key(keys.seat(seat)).arg(seat);
        }
        let reply: Vec<String> = invocation.invoke_async(&mut self.redis()).await?;
        match reply.first().map(String::as_str) {
            Some("ok") => {
                let now: i64 = num(reply.get(4))?;
                let remaining = ids(&reply[5..]);
                // With nothing left held, the hold has no time left either.
                let expires_at = match reply.get(2).filter(|e| !e.is_empty()) {
                    Some(expires) if !remaining.is_empty() => num(Some(expires))?,
                    _ => now,
                };
                Ok(self.status(
                    showtime.id,
                    remaining,
                    expires_at,
                    now,
                    num(reply.get(3))?,
                    num(reply.get(1))?,
                ))
            }
            Some("not_yours") => Err(AppError::NotYourHold {
                seats: showtime.names(&ids(&reply[1..])),
            }),
            _ => Err(unexpected(&reply)),
        }
    }

    /// Extends the session's hold by one step, if it has any left.
    #[tracing::instrument(skip(self))]
    pub async fn extend(&self, showtime: i64, session: &str) -> Result<HoldStatus, AppError> {
        let keys = self.keys(showtime);
        // The script re-checks the seat set, so a concurrent change makes it ask again.
        for _ in 0..5 {
            let seats = self.held_by(showtime, session).await?;
            let mut invocation = self.scripts.extend.prepare_invoke();
            invocation
                .key(keys.version())
                .key(keys.expiry())
                .key(keys.holder(session))
                .key(keys.holder_seats(session))
                .arg(session)
                .arg(keys.channel())
                .arg(ms(self.rules.extension))
                .arg(self.rules.max_extensions);
            for &seat in &seats {
                invocation.key(keys.seat(seat)).arg(seat);
            }
            let reply: Vec<String> = invocation.invoke_async(&mut self.redis()).await?;
            match reply.first().map(String::as_str) {
                Some("ok") => {
                    let expires_at = num(reply.get(1))?;
                    self.schedule_sweep(showtime, expires_at).await?;
                    return Ok(self.status(
                        showtime,
                        seats,
                        expires_at,
                        num(reply.get(4))?,
                        num(reply.get(3))?,
                        num(reply.get(2))?,
                    ));
                }
                Some("expired") => return Err(AppError::HoldExpired { seats: Vec::new() }),
                Some("limit") => {
                    return Err(AppError::ExtendLimit {
                        max: self.rules.max_extensions,
                    });
                }
                Some("retry") => continue,
                _ => return Err(unexpected(&reply)),
            }
        }
        Err(AppError::Internal)
    }

    /// Step 1 of a purchase: the session holds exactly `seats`, none is sold, and the hold
    /// now lasts at least the checkout grace period.
    #[tracing::instrument(skip(self))]
    pub async fn begin_checkout(
        &self,
        showtime: i64,
        session: &str,
        seats: &[i64],
    ) -> Result<Result<(), CheckoutRefusal>, AppError> {
        let keys = self.keys(showtime);
        let mut invocation = self.scripts.checkout.prepare_invoke();
        invocation
            .key(keys.sold())
            .key(keys.expiry())
            .key(keys.holder(session))
            .key(keys.holder_seats(session))
            .arg(session)
            .arg(ms(self.rules.checkout_grace));
        for &seat in seats {
            invocation.key(keys.seat(seat)).arg(seat);
        }
        let reply: Vec<String> = invocation.invoke_async(&mut self.redis()).await?;
        Ok(match reply.first().map(String::as_str) {
            Some("ok") => Ok(()),
            Some("sold") => Err(CheckoutRefusal::Sold(ids(&reply[1..]))),
            Some("not_yours") => Err(CheckoutRefusal::NotYours(ids(&reply[1..]))),
            Some("expired") => Err(CheckoutRefusal::Expired(ids(&reply[1..]))),
            Some("mismatch") => Err(CheckoutRefusal::Mismatch),
            _ => return Err(unexpected(&reply)),
        })
    }

    /// The last step of a purchase (and the repair after the Postgres fence fired): the
    /// seats are sold; drop their holds and tell everyone.
    #[tracing::instrument(skip(self))]
    pub async fn mark_sold(
        &self,
        showtime: i64,
        session: &str,
        seats: &[i64],
    ) -> Result<u64, AppError> {
        let keys = self.keys(showtime);
        let mut invocation = self.scripts.sold.prepare_invoke();
        invocation
            .key(keys.sold())
            .key(keys.version())
            .key(keys.expiry())
            .key(keys.holder_seats(session))
            .arg(keys.channel());
        for &seat in seats {
            invocation.key(keys.seat(seat)).arg(seat);
        }
        let version: String = invocation.invoke_async(&mut self.redis()).await?;
        num(Some(&version))
    }

    /// Forgets that the sold set is complete, so the next hold rebuilds it from Postgres.
    /// Used when a sale could not be written to Redis after its order was committed.
    pub async fn invalidate_sold(&self, showtime: i64) -> Result<(), AppError> {
        let _: () = self.redis().del(self.keys(showtime).sold_loaded()).await?;
        Ok(())
    }

    /// Every seat's state for `session`, atomically, with the version it belongs to.
    #[tracing::instrument(skip(self, db, showtime), fields(showtime = showtime.id))]
    pub async fn snapshot(
        &self,
        db: &PgPool,
        showtime: &ShowtimeInfo,
        session: &str,
    ) -> Result<SeatMapState, AppError> {
        let keys = self.keys(showtime.id);
        for _ in 0..3 {
            let mut invocation = self.scripts.snapshot.prepare_invoke();
            invocation
                .key(keys.sold())
                .key(keys.sold_loaded())
                .key(keys.version())
                .key(keys.holder(session))
                .arg(session);
            for &seat in &showtime.seat_ids {
                invocation.key(keys.seat(seat)).arg(seat);
            }
            let reply: Vec<String> = invocation.invoke_async(&mut self.redis()).await?;
            match reply.first().map(String::as_str) {
                Some("ok") => {
                    let version = num(reply.get(1))?;
                    let states = reply.get(5).map(String::as_bytes).unwrap_or_default();
                    let (mut sold, mut held, mut mine) = (Vec::new(), Vec::new(), Vec::new());
                    for (&seat, state) in showtime.seat_ids.iter().zip(states) {
                        match state {
                            b's' => sold.push(seat),
                            b'h' => held.push(seat),
                            b'm' => mine.push(seat),
                            _ => {}
                        }
                    }
                    let hold = match reply.get(2).filter(|e| !e.is_empty()) {
                        Some(expires) if !mine.is_empty() => Some(self.status(
                            showtime.id,
                            mine,
                            num(Some(expires))?,
                            num(reply.get(4))?,
                            num(reply.get(3))?,
                            version,
                        )),
                        _ => None,
                    };
                    return Ok(SeatMapState {
                        showtime_id: showtime.id,
                        version,
                        sold,
                        held,
                        hold,
                    });
                }
                Some("needs_sold") => self.rebuild_sold(db, showtime.id).await?,
                _ => return Err(unexpected(&reply)),
            }
        }
        Err(AppError::Internal)
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

    /// Tells the sweeper to look at `showtime` no later than `at_ms`.
    async fn schedule_sweep(&self, showtime: i64, at_ms: i64) -> Result<(), AppError> {
        let _: () = redis::cmd("ZADD")
            .arg(sweep_index(&self.prefix))
            .arg("LT")
            .arg(at_ms)
            .arg(showtime)
            .query_async(&mut self.redis())
            .await?;
        Ok(())
    }

    /// One sweeper pass: publishes the release of every hold whose TTL has passed.
    /// Returns how many seats were announced free.
    pub async fn sweep(&self) -> Result<usize, AppError> {
        let mut redis = self.redis();
        let index = sweep_index(&self.prefix);
        let time: (i64, i64) = redis::cmd("TIME").query_async(&mut redis).await?;
        let now = time.0 * 1000 + time.1 / 1000;
        let due: Vec<i64> = redis
            .zrangebyscore_limit(&index, "-inf", now, 0, 100)
            .await?;
        let mut freed = 0;
        for showtime in due {
            let keys = self.keys(showtime);
            let seats: Vec<i64> = redis.zrangebyscore(keys.expiry(), "-inf", now).await?;
            let mut invocation = self.scripts.expire.prepare_invoke();
            invocation
                .key(keys.version())
                .key(keys.expiry())
                .arg(keys.channel());
            for &seat in &seats {
                invocation.key(keys.seat(seat)).arg(seat);
            }
            let reply: Vec<String> = invocation.invoke_async(&mut redis).await?;
            if reply.first().is_some_and(|v| !v.is_empty()) {
                freed += seats.len();
            }
            // Reschedule, then re-read: a hold made meanwhile scheduled itself with `LT`,
            // and the re-read catches one made between our script and our write.
            match reply.get(1).and_then(|n| n.parse::<f64>().ok()) {
                Some(next) => {
                    let _: () = redis.zadd(&index, showtime, next).await?;
                }
                None => {
                    let _: () = redis.zrem(&index, showtime).await?;
                }
            }
            let first: Vec<(i64, f64)> = redis.zrange_withscores(keys.expiry(), 0, 0).await?;
            if let Some((_, at)) = first.first() {
                let _: () = redis::cmd("ZADD")
                    .arg(&index)
                    .arg("LT")
                    .arg(*at)
                    .arg(showtime)
                    .query_async(&mut redis)
                    .await?;
            }
        }
        Ok(freed)
    }
}

fn unexpected(reply: &[String]) -> AppError {
    tracing::error!(?reply, "unexpected reply from a hold script");
    AppError::Internal
}
