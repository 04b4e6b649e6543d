//! The waiting line (the waiting-users service): when a showtime is full, people line up,
//! and seats that free up are offered to whoever has waited longest.
//!
//! The line is a sorted set in Redis (join number → FIFO), with every person's party size
//! beside it. Every decision is made inside a Lua script (in `lua/`, beside this module):
//! - `join`: one place per session, refused while enough seats are free or the line is full;
//! - `leave`: gives the place up;
//! - `serve`: walks the line in order and offers the free seats to each person whose party
//!   fits (side by side in one row when it can). An offer is an ordinary hold in that
//!   person's name with its own, shorter TTL and no extensions, so accepting it is the normal
//!   checkout, and declining it or letting it lapse frees the seats, which serves the line
//!   again. Several app instances may serve at once: the script runs atomically, so a seat is
//!   offered once and nobody is skipped.
//!
//! The hold engine keeps the line fair: while anyone waits, it lets a direct hold through only
//! once the line has been served since the last change (see `hold.lua`).
//!
//! Changes of the line are published on the showtime's channel as `line` events naming the
//! sessions concerned; each socket turns them into that one person's new position.

pub mod contracts;

use std::time::Duration;

use crate::server::redis_client::Redis;
use sqlx::PgPool;

use self::contracts::{Join, JoinReply, Leave, LeaveReply, Serve, ServeReply};
use super::holds::HoldEngine;
use super::keys::Keyspace;
use super::script;
use super::showtimes::ShowtimeInfo;
use crate::app::booking::LinePlace;
use crate::app::error::AppError;
use crate::server::Settings;
use crate::server::session::log_tag;
use crate::server::telemetry::metrics::{self, Operation, measured};

/// Waiting-line rules, from settings.
#[derive(Debug, Clone, Copy)]
pub struct LineRules {
    pub offer_ttl: Duration,
    pub max_length: u32,
    /// The largest party (the most seats one person may hold).
    pub max_party: u32,
    /// Extensions a hold may have; an offer starts with all of them used.
    pub max_extensions: u32,
    /// Seats held plus places awaited per client address and showtime.
    pub max_seats_per_client: u32,
    /// What checkout may add to an offer, once.
    pub checkout_grace: Duration,
}

impl LineRules {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            offer_ttl: settings.offer_ttl,
            max_length: settings.line_max_length,
            max_party: settings.max_seats_per_hold,
            max_extensions: settings.hold_extensions,
            max_seats_per_client: settings.max_seats_per_ip,
            checkout_grace: settings.checkout_grace,
        }
    }
}

#[derive(Clone)]
pub struct WaitingLine {
    redis: Redis,
    keyspace: Keyspace,
    /// Offers are holds: the line relies on the hold engine's sold-seat cache and sweeper.
    holds: HoldEngine,
    rules: LineRules,
}

impl WaitingLine {
    pub fn new(redis: Redis, keyspace: Keyspace, holds: HoldEngine, rules: LineRules) -> Self {
        Self {
            redis,
            keyspace,
            holds,
            rules,
        }
    }

    pub fn rules(&self) -> LineRules {
        self.rules
    }

    /// Puts `session` at the back of the line for `party` seats.
    #[tracing::instrument(skip(self, db, showtime, session, client), fields(showtime = showtime.id, session = %log_tag(session)))]
    pub async fn join(
        &self,
        db: &PgPool,
        showtime: &ShowtimeInfo,
        session: &str,
        client: &str,
        party: u32,
    ) -> Result<LinePlace, AppError> {
        let largest = self
            .rules
            .max_party
            .min(u32::try_from(showtime.seat_ids.len()).unwrap_or(u32::MAX));
        if party == 0 || party > largest {
            return Err(AppError::bad_input(format!(
                "party must be between 1 and {largest} seats"
            )));
        }
        let keys = self.keyspace.showtime(showtime.id);
        let join = Join {
            keys: &keys,
            showtime,
            session,
            party,
            max_length: self.rules.max_length,
            client,
            max_seats_per_client: self.rules.max_seats_per_client,
        };
        match self.holds.run_with_sold(db, showtime.id, &join).await? {
            JoinReply::Ok { position } => Ok(LinePlace {
                showtime_id: showtime.id,
                position,
                party,
            }),
            JoinReply::Already { position } => Err(AppError::AlreadyInLine { position }),
            JoinReply::Holding => Err(AppError::HoldingSeats),
            JoinReply::Available { free } => Err(AppError::SeatsAvailable { available: free }),
            JoinReply::Full => Err(AppError::LineFull {
                max: self.rules.max_length,
            }),
            JoinReply::ClientFull => Err(AppError::ClientLimit {
                max: self.rules.max_seats_per_client,
            }),
            // `run_with_sold` answers this itself.
            JoinReply::NeedsSold => Err(AppError::Internal),
        }
    }

    /// Takes `session` out of the line; `false` if it was not in it.
    #[tracing::instrument(skip(self, session), fields(session = %log_tag(session)))]
    pub async fn leave(&self, showtime: i64, session: &str) -> Result<bool, AppError> {
        let keys = self.keyspace.showtime(showtime);
        let LeaveReply::Ok { left } = script::run(
            &mut self.redis.clone(),
            &Leave {
                keys: &keys,
                session,
            },
        )
        .await?;
        Ok(left)
    }

    /// Where `session` stands in the line, if it is in it.
    pub async fn place(&self, showtime: i64, session: &str) -> Result<Option<LinePlace>, AppError> {
        let keys = self.keyspace.showtime(showtime);
        let (rank, party): (Option<u32>, Option<u32>) = redis::pipe()
            .atomic()
            .zrank(keys.line(), session)
            .hget(keys.line_party(), session)
            .query_async(&mut self.redis.clone())
            .await?;
        Ok(rank.map(|rank| LinePlace {
            showtime_id: showtime,
            position: rank + 1,
            party: party.unwrap_or(1),
        }))
    }

    /// Offers free seats to the people in line whose party fits, in join order. Returns how
    /// many offers were made.
    #[tracing::instrument(skip(self, db, showtime), fields(showtime = showtime.id))]
    pub async fn serve(&self, db: &PgPool, showtime: &ShowtimeInfo) -> Result<u32, AppError> {
        let served = measured(Operation::LineServe, self.serve_passes(db, showtime)).await;
        if let Ok(offers) = served {
            metrics::line_offers(offers);
        }
        served
    }

    async fn serve_passes(&self, db: &PgPool, showtime: &ShowtimeInfo) -> Result<u32, AppError> {
        // Seats of a showtime that has started are no longer sold, so not offered either.
        if showtime.has_started() {
            return Ok(0);
        }
        let keys = self.keyspace.showtime(showtime.id);
        let mut offers = 0;
        // Each pass serves everyone it saw in line; someone who joined meanwhile makes the
        // script stop at them (`stale`), and the next pass, seeing them, goes on.
        for _ in 0..5 {
            let waiting: Vec<String> =
                redis::AsyncCommands::zrange(&mut self.redis.clone(), keys.line(), 0, -1).await?;
            let serve = Serve {
                keys: &keys,
                showtime,
                offer_ttl: self.rules.offer_ttl,
                extensions_used: self.rules.max_extensions,
                checkout_grace: self.rules.checkout_grace,
                waiting: &waiting,
            };
            let ServeReply::Ok {
                offers: made,
                expires_at,
                stale,
            } = self.holds.run_with_sold(db, showtime.id, &serve).await?
            else {
                // `run_with_sold` answers `NeedsSold` itself.
                return Err(AppError::Internal);
            };
            offers += made;
            if let Some(expires_at) = expires_at {
                // Offers lapse like holds: the sweeper announces them and serves the line again.
                self.holds.schedule_sweep(showtime.id, expires_at).await?;
                tracing::info!(offers = made, "waiting line offered seats");
            }
            if !stale {
                return Ok(offers);
            }
        }
        // The line kept growing while being served; the sweeper serves it again soon.
        self.holds.sweep_soon(showtime.id).await?;
        Ok(offers)
    }
}
