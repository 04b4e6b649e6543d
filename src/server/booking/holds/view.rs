//! One viewer's picture of every seat, taken atomically.

use sqlx::PgPool;

use super::{HoldEngine, num, unexpected};
use crate::app::booking::{LinePlace, SeatMapState};
use crate::app::error::AppError;
use crate::server::booking::showtimes::ShowtimeInfo;

impl HoldEngine {
    /// Every seat's state for `session`, atomically, with the version it belongs to.
    #[tracing::instrument(skip(self, db, showtime), fields(showtime = showtime.id))]
    pub async fn snapshot(
        &self,
        db: &PgPool,
        showtime: &ShowtimeInfo,
        session: &str,
    ) -> Result<SeatMapState, AppError> {
        let keys = self.keys(showtime.id);
        let mut invocation = self.scripts.snapshot.prepare_invoke();
        invocation
            .key(keys.sold())
            .key(keys.sold_loaded())
            .key(keys.version())
            .key(keys.holder(session))
            .key(keys.line())
            .key(keys.line_party())
            .arg(session);
        for &seat in &showtime.seat_ids {
            invocation.key(keys.seat(seat)).arg(seat);
        }
        let reply = self.invoke_with_sold(db, showtime.id, &invocation).await?;
        if reply.first().map(String::as_str) != Some("ok") {
            return Err(unexpected(&reply));
        }
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
        let offer = reply.get(6).map(String::as_str) == Some("1") && !mine.is_empty();
        let line = match reply.get(7).filter(|p| !p.is_empty()) {
            Some(position) => Some(LinePlace {
                showtime_id: showtime.id,
                position: num(Some(position))?,
                party: num(reply.get(8))?,
            }),
            None => None,
        };
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
