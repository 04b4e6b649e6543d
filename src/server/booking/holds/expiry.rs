//! Announcing holds whose time is up: the sweep index and the sweeper's pass.

use redis::AsyncCommands;

use super::HoldEngine;
use super::contracts::{Expire, ExpireReply};
use crate::app::error::AppError;
use crate::server::booking::script;

impl HoldEngine {
    /// Tells the sweeper to look at `showtime` no later than `at_ms`.
    pub(in crate::server::booking) async fn schedule_sweep(
        &self,
        showtime: i64,
        at_ms: i64,
    ) -> Result<(), AppError> {
        let _: () = redis::cmd("ZADD")
            .arg(self.keyspace.sweep_index())
            .arg("LT")
            .arg(at_ms)
            .arg(showtime)
            .query_async(&mut self.redis())
            .await?;
        Ok(())
    }

    /// Asks the sweeper to look at `showtime` on its next pass (and serve its line).
    pub async fn sweep_soon(&self, showtime: i64) -> Result<(), AppError> {
        self.schedule_sweep(showtime, 0).await
    }

    /// One sweeper pass: publishes the release of every hold whose TTL has passed.
    /// Returns how many seats were announced free, and the showtimes looked at where people
    /// wait in line (to be served, with the freed seats or in case an earlier serve failed).
    /// A showtime that fails is logged and left in the index for the next pass.
    pub async fn sweep(&self) -> Result<(usize, Vec<i64>), AppError> {
        let mut redis = self.redis();
        let index = self.keyspace.sweep_index();
        let time: (i64, i64) = redis::cmd("TIME").query_async(&mut redis).await?;
        let now = time.0 * 1000 + time.1 / 1000;
        let due: Vec<i64> = redis
            .zrangebyscore_limit(&index, "-inf", now, 0, 100)
            .await?;
        let mut freed = 0;
        let mut waiting = Vec::new();
        for showtime in due {
            match self.sweep_showtime(showtime, now).await {
                Ok((seats, line_waiting)) => {
                    freed += seats;
                    if line_waiting {
                        waiting.push(showtime);
                    }
                }
                Err(error) => tracing::warn!(?error, showtime, "sweeping a showtime failed"),
            }
        }
        Ok((freed, waiting))
    }

    /// Announces one showtime's lapsed holds and reschedules it; returns how many seats were
    /// announced free and whether anyone waits in its line.
    async fn sweep_showtime(&self, showtime: i64, now: i64) -> Result<(usize, bool), AppError> {
        let mut redis = self.redis();
        let index = self.keyspace.sweep_index();
        let keys = self.keys(showtime);
        let due: Vec<i64> = redis.zrangebyscore(keys.expiry(), "-inf", now).await?;
        let ExpireReply::Ok {
            freed,
            next_expiry,
            line_length,
        } = script::run(
            &mut redis,
            &Expire {
                keys: &keys,
                due: &due,
            },
        )
        .await?;
        // Reschedule, then re-read: a hold made meanwhile scheduled itself with `LT`, and the
        // re-read catches one made between our script and our write.
        match next_expiry {
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
        Ok((freed, line_length > 0))
    }
}
