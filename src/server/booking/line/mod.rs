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

use std::time::Duration;

use redis::Script;
use sqlx::PgPool;
use std::sync::Arc;

use super::holds::{HoldEngine, ms, num, unexpected};
use super::showtimes::ShowtimeInfo;
use crate::app::booking::LinePlace;
use crate::app::error::AppError;
use crate::server::Settings;

struct Scripts {
    join: Script,
    leave: Script,
    serve: Script,
}

/// Waiting-line rules, from settings.
#[derive(Debug, Clone, Copy)]
pub struct LineRules {
    pub offer_ttl: Duration,
    pub max_length: u32,
    /// The largest party (the most seats one person may hold).
    pub max_party: u32,
    /// Extensions a hold may have; an offer starts with all of them used.
    pub max_extensions: u32,
}

impl LineRules {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            offer_ttl: settings.offer_ttl,
            max_length: settings.line_max_length,
            max_party: settings.max_seats_per_hold,
            max_extensions: settings.hold_extensions,
        }
    }
}

#[derive(Clone)]
pub struct WaitingLine {
    /// Offers are holds: the line shares the hold engine's connection and sold-seat cache.
    holds: HoldEngine,
    rules: LineRules,
    scripts: Arc<Scripts>,
}

impl WaitingLine {
    pub fn new(holds: HoldEngine, rules: LineRules) -> Self {
        Self {
            holds,
            rules,
            scripts: Arc::new(Scripts {
                join: Script::new(include_str!("lua/join.lua")),
                leave: Script::new(include_str!("lua/leave.lua")),
                serve: Script::new(include_str!("lua/serve.lua")),
            }),
        }
    }

    pub fn rules(&self) -> LineRules {
        self.rules
    }

    /// Puts `session` at the back of the line for `party` seats.
    #[tracing::instrument(skip(self, db, showtime), fields(showtime = showtime.id))]
    pub async fn join(
        &self,
        db: &PgPool,
        showtime: &ShowtimeInfo,
        session: &str,
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
        let keys = self.holds.keys(showtime.id);
        let mut invocation = self.scripts.join.prepare_invoke();
        invocation
            .key(keys.sold())
            .key(keys.sold_loaded())
            .key(keys.line())
            .key(keys.line_party())
            .key(keys.line_seq())
            .key(keys.holder_seats(session))
            .arg(session)
            .arg(party)
            .arg(self.rules.max_length)
            .arg(keys.channel());
        for &seat in &showtime.seat_ids {
            invocation.key(keys.seat(seat)).arg(seat);
        }
        let reply = self
            .holds
            .invoke_with_sold(db, showtime.id, &invocation)
            .await?;
        match reply.first().map(String::as_str) {
            Some("ok") => Ok(LinePlace {
                showtime_id: showtime.id,
                position: num(reply.get(1))?,
                party,
            }),
            Some("already") => Err(AppError::AlreadyInLine {
                position: num(reply.get(1))?,
            }),
            Some("holding") => Err(AppError::HoldingSeats),
            Some("available") => Err(AppError::SeatsAvailable {
                available: num(reply.get(1))?,
            }),
            Some("full") => Err(AppError::LineFull {
                max: self.rules.max_length,
            }),
            _ => Err(unexpected(&reply)),
        }
    }

    /// Takes `session` out of the line; `false` if it was not in it.
    #[tracing::instrument(skip(self))]
    pub async fn leave(&self, showtime: i64, session: &str) -> Result<bool, AppError> {
        let keys = self.holds.keys(showtime);
        let left: i64 = self
            .scripts
            .leave
            .key(keys.line())
            .key(keys.line_party())
            .arg(session)
            .arg(keys.channel())
            .invoke_async(&mut self.holds.redis())
            .await?;
        Ok(left == 1)
    }

    /// Where `session` stands in the line, if it is in it.
    pub async fn place(&self, showtime: i64, session: &str) -> Result<Option<LinePlace>, AppError> {
        let keys = self.holds.keys(showtime);
        let (rank, party): (Option<u32>, Option<u32>) = redis::pipe()
            .atomic()
            .zrank(keys.line(), session)
            .hget(keys.line_party(), session)
            .query_async(&mut self.holds.redis())
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
        // Seats of a showtime that has started are no longer sold, so not offered either.
        if showtime.has_started() {
            return Ok(0);
        }
        let keys = self.holds.keys(showtime.id);
        let mut invocation = self.scripts.serve.prepare_invoke();
        invocation
            .key(keys.sold())
            .key(keys.sold_loaded())
            .key(keys.version())
            .key(keys.expiry())
            .key(keys.line())
            .key(keys.line_party())
            .key(keys.line_served())
            .arg(keys.channel())
            .arg(ms(self.rules.offer_ttl))
            .arg(self.rules.max_extensions)
            .arg(keys.holder_base());
        for &seat in &showtime.seat_ids {
            let (row, col) = showtime.seats.get(&seat).map_or((0, 0), |s| (s.row, s.col));
            invocation.key(keys.seat(seat)).arg(seat).arg(row).arg(col);
        }
        let reply = self
            .holds
            .invoke_with_sold(db, showtime.id, &invocation)
            .await?;
        if reply.first().map(String::as_str) != Some("ok") {
            return Err(unexpected(&reply));
        }
        let offers = num(reply.get(1))?;
        if let Some(expires_at) = reply.get(2).and_then(|e| e.parse::<i64>().ok()) {
            // Offers lapse like holds: the sweeper announces them and serves the line again.
            self.holds.schedule_sweep(showtime.id, expires_at).await?;
            tracing::info!(offers, "waiting line offered seats");
        }
        Ok(offers)
    }
}
