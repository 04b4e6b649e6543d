//! Holding, releasing and extending seats.

use sqlx::PgPool;

use super::{HoldAttempt, HoldEngine, Released, ids, ms, num, unexpected};
use crate::app::booking::HoldStatus;
use crate::app::error::AppError;
use crate::server::booking::showtimes::ShowtimeInfo;

impl HoldEngine {
    /// Holds `seats` (validated by the caller to exist in the showtime) for `session`,
    /// unless the waiting line must be served first.
    #[tracing::instrument(skip(self, db, showtime), fields(showtime = showtime.id))]
    pub async fn hold(
        &self,
        db: &PgPool,
        showtime: &ShowtimeInfo,
        session: &str,
        seats: &[i64],
    ) -> Result<HoldAttempt, AppError> {
        let keys = self.keys(showtime.id);
        let mut invocation = self.scripts.hold.prepare_invoke();
        invocation
            .key(keys.sold())
            .key(keys.sold_loaded())
            .key(keys.version())
            .key(keys.expiry())
            .key(keys.holder(session))
            .key(keys.holder_seats(session))
            .key(keys.line())
            .key(keys.line_served())
            .arg(session)
            .arg(ms(self.rules.ttl))
            .arg(self.rules.max_seats)
            .arg(keys.channel());
        for &seat in seats {
            invocation.key(keys.seat(seat)).arg(seat);
        }
        let reply = self.invoke_with_sold(db, showtime.id, &invocation).await?;
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
                Ok(HoldAttempt::Held(status))
            }
            Some("serve_line") => Ok(HoldAttempt::ServeLineFirst),
            Some("in_line") => Err(AppError::InLine),
            Some("taken") => Err(AppError::SeatTaken {
                seats: showtime.names(&ids(&reply[1..])),
            }),
            Some("too_many") => Err(AppError::TooManySeats {
                max: self.rules.max_seats,
            }),
            _ => Err(unexpected(&reply)),
        }
    }

    /// Releases `seats` (or, with `None`, every seat of the session's hold).
    #[tracing::instrument(skip(self, showtime), fields(showtime = showtime.id))]
    pub async fn release(
        &self,
        showtime: &ShowtimeInfo,
        session: &str,
        seats: Option<&[i64]>,
    ) -> Result<Released, AppError> {
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
            .key(keys.line())
            .key(keys.line_served())
            .arg(session)
            .arg(keys.channel());
        for &seat in &seats {
            invocation.key(keys.seat(seat)).arg(seat);
        }
        let reply: Vec<String> = invocation.invoke_async(&mut self.redis()).await?;
        match reply.first().map(String::as_str) {
            Some("ok") => {
                let now: i64 = num(reply.get(4))?;
                let remaining = ids(&reply[6..]);
                // With nothing left held, the hold has no time left either.
                let expires_at = match reply.get(2).filter(|e| !e.is_empty()) {
                    Some(expires) if !remaining.is_empty() => num(Some(expires))?,
                    _ => now,
                };
                Ok(Released {
                    status: self.status(
                        showtime.id,
                        remaining,
                        expires_at,
                        now,
                        num(reply.get(3))?,
                        num(reply.get(1))?,
                    ),
                    line_waiting: reply.get(5).is_some_and(|length| length != "0"),
                })
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
}
