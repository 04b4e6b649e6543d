//! Announcing holds whose time is up: the sweep index and the sweeper's pass.

use redis::AsyncCommands;

use super::HoldEngine;
use crate::app::error::AppError;
use crate::server::booking::keys::sweep_index;

impl HoldEngine {
    /// Tells the sweeper to look at `showtime` no later than `at_ms`.
    pub(in crate::server::booking) async fn schedule_sweep(
        &self,
        showtime: i64,
        at_ms: i64,
    ) -> Result<(), AppError> {
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
    /// Returns how many seats were announced free, and the showtimes where people wait in
    /// line (to be served with the freed seats).
    pub async fn sweep(&self) -> Result<(usize, Vec<i64>), AppError> {
        let mut redis = self.redis();
        let index = sweep_index(&self.prefix);
        let time: (i64, i64) = redis::cmd("TIME").query_async(&mut redis).await?;
        let now = time.0 * 1000 + time.1 / 1000;
        let due: Vec<i64> = redis
            .zrangebyscore_limit(&index, "-inf", now, 0, 100)
            .await?;
        let mut freed = 0;
        let mut waiting = Vec::new();
        for showtime in due {
            let keys = self.keys(showtime);
            let seats: Vec<i64> = redis.zrangebyscore(keys.expiry(), "-inf", now).await?;
            let mut invocation = self.scripts.expire.prepare_invoke();
            invocation
                .key(keys.version())
                .key(keys.expiry())
                .key(keys.line())
                .arg(keys.channel());
            for &seat in &seats {
                invocation.key(keys.seat(seat)).arg(seat);
            }
            let reply: Vec<String> = invocation.invoke_async(&mut redis).await?;
            if reply.first().is_some_and(|v| !v.is_empty()) {
                freed += seats.len();
                if reply.get(2).is_some_and(|length| length != "0") {
                    waiting.push(showtime);
                }
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
        Ok((freed, waiting))
    }
}
