//! Holding, releasing and extending seats.

use sqlx::PgPool;

use super::contracts::{Extend, ExtendReply, Hold, HoldReply, Release, ReleaseReply, SessionSeats};
use super::{HoldAttempt, HoldClock, HoldEngine, Released};
use crate::app::booking::HoldStatus;
use crate::app::error::AppError;
use crate::server::booking::script;
use crate::server::booking::showtimes::ShowtimeInfo;
use crate::server::session::log_tag;

impl HoldEngine {
    /// Holds `seats` (validated by the caller to exist in the showtime) for `session`,
    /// unless the waiting line must be served first.
    #[tracing::instrument(skip(self, db, showtime, session, client), fields(showtime = showtime.id, session = %log_tag(session)))]
    pub async fn hold(
        &self,
        db: &PgPool,
        showtime: &ShowtimeInfo,
        session: &str,
        client: &str,
        seats: &[i64],
    ) -> Result<HoldAttempt, AppError> {
        let keys = self.keys(showtime.id);
        let hold = Hold {
            target: SessionSeats::new(&keys, session, seats),
            ttl: self.rules.ttl,
            life: self.rules.life(),
            max_seats: self.rules.max_seats,
            client,
            max_seats_per_client: self.rules.max_seats_per_client,
        };
        match self.run_with_sold(db, showtime.id, &hold).await? {
            HoldReply::Ok {
                expires_at,
                version,
                extensions,
                now,
                seats,
            } => {
                self.schedule_sweep(showtime.id, expires_at).await?;
                let clock = HoldClock {
                    expires_at,
                    now,
                    extensions,
                    version,
                };
                Ok(HoldAttempt::Held(self.status(showtime.id, seats, clock)))
            }
            HoldReply::ServeLine => Ok(HoldAttempt::ServeLineFirst),
            HoldReply::InLine => Err(AppError::InLine),
            HoldReply::Taken { seats } => Err(AppError::SeatTaken {
                seats: showtime.names(&seats),
            }),
            HoldReply::TooMany { .. } => Err(AppError::TooManySeats {
                max: self.rules.max_seats,
            }),
            HoldReply::ClientFull => Err(AppError::ClientLimit {
                max: self.rules.max_seats_per_client,
            }),
            // `run_with_sold` answers this itself.
            HoldReply::NeedsSold => Err(AppError::Internal),
        }
    }

    /// Releases `seats` (or, with `None`, every seat of the session's hold).
    #[tracing::instrument(skip(self, showtime, session, client), fields(showtime = showtime.id, session = %log_tag(session)))]
    pub async fn release(
        &self,
        showtime: &ShowtimeInfo,
        session: &str,
        client: &str,
        seats: Option<&[i64]>,
    ) -> Result<Released, AppError> {
        let keys = self.keys(showtime.id);
        let seats = match seats {
            Some(seats) => seats.to_vec(),
            None => self.held_by(showtime.id, session).await?,
        };
        let release = Release {
            target: SessionSeats::new(&keys, session, &seats),
            client,
        };
        match script::run(&mut self.redis(), &release).await? {
            ReleaseReply::Ok {
                version,
                expires_at,
                extensions,
                now,
                line_length,
                seats: remaining,
            } => {
                // With nothing left held, the hold has no time left either.
                let expires_at = match expires_at {
                    Some(expires_at) if !remaining.is_empty() => expires_at,
                    _ => now,
                };
                let clock = HoldClock {
                    expires_at,
                    now,
                    extensions,
                    version,
                };
                Ok(Released {
                    status: self.status(showtime.id, remaining, clock),
                    line_waiting: line_length > 0,
                })
            }
            ReleaseReply::NotYours { seats } => Err(AppError::NotYourHold {
                seats: showtime.names(&seats),
            }),
        }
    }

    /// Extends the session's hold by one step, if it has any left.
    #[tracing::instrument(skip(self, session), fields(session = %log_tag(session)))]
    pub async fn extend(&self, showtime: i64, session: &str) -> Result<HoldStatus, AppError> {
        let keys = self.keys(showtime);
        // The script re-checks the seat set, so a concurrent change makes it ask again.
        for _ in 0..5 {
            let seats = self.held_by(showtime, session).await?;
            let extend = Extend {
                target: SessionSeats::new(&keys, session, &seats),
                step: self.rules.extension,
                max_extensions: self.rules.max_extensions,
            };
            match script::run(&mut self.redis(), &extend).await? {
                ExtendReply::Ok {
                    expires_at,
                    version,
                    extensions,
                    now,
                } => {
                    self.schedule_sweep(showtime, expires_at).await?;
                    let clock = HoldClock {
                        expires_at,
                        now,
                        extensions,
                        version,
                    };
                    return Ok(self.status(showtime, seats, clock));
                }
                ExtendReply::Expired => return Err(AppError::HoldExpired { seats: Vec::new() }),
                ExtendReply::Limit => {
                    return Err(AppError::ExtendLimit {
                        max: self.rules.max_extensions,
                    });
                }
                ExtendReply::Retry => continue,
            }
        }
        Err(AppError::Internal)
    }
}
