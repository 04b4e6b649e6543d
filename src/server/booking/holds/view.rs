//! One viewer's picture of every seat, taken atomically.

use sqlx::PgPool;

use super::contracts::{SessionSeats, Snapshot, SnapshotReply};
use super::{HoldClock, HoldEngine};
use crate::app::booking::{LinePlace, SeatMapState};
use crate::app::error::AppError;
use crate::server::booking::showtimes::ShowtimeInfo;
use crate::server::session::log_tag;

impl HoldEngine {
    /// Every seat's state for `session`, atomically, with the version it belongs to.
    #[tracing::instrument(skip(self, db, showtime, session), fields(showtime = showtime.id, session = %log_tag(session)))]
    pub async fn snapshot(
        &self,
        db: &PgPool,
        showtime: &ShowtimeInfo,
        session: &str,
    ) -> Result<SeatMapState, AppError> {
        let keys = self.keys(showtime.id);
        let snapshot = Snapshot(SessionSeats::new(&keys, session, &showtime.seat_ids));
        let SnapshotReply::Ok {
            version,
            expires_at,
            extensions,
            now,
            states,
            offer,
            position,
            party,
        } = self.run_with_sold(db, showtime.id, &snapshot).await?
        else {
            // `run_with_sold` answers `NeedsSold` itself.
            return Err(AppError::Internal);
        };
        let (mut sold, mut held, mut mine) = (Vec::new(), Vec::new(), Vec::new());
        for (&seat, state) in showtime.seat_ids.iter().zip(states.bytes()) {
            match state {
                b's' => sold.push(seat),
                b'h' => held.push(seat),
                b'm' => mine.push(seat),
                _ => {}
            }
        }
        let offer = offer && !mine.is_empty();
        let line = position.map(|position| LinePlace {
            showtime_id: showtime.id,
            position,
            party: party.unwrap_or(1),
        });
        let hold = match expires_at {
            Some(expires_at) if !mine.is_empty() => {
                let clock = HoldClock {
                    expires_at,
                    now,
                    extensions,
                    version,
                };
                Some(self.status(showtime.id, mine, clock))
            }
            _ => None,
        };
        Ok(SeatMapState {
            showtime_id: showtime.id,
            version,
            sold,
            held,
            hold,
            offer,
            line,
            max_seats: self.rules.max_seats,
        })
    }
}
