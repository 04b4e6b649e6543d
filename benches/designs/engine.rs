//! Marquee's design: the real `HoldEngine` of a real `Application` (its Lua scripts on Redis,
//! one atomic script per hold or release, time from Redis' clock), behind the same minimal
//! router as the peers, so only the design differs. The "sold" step is the engine's own: the
//! checkout script (the hold is exactly these seats, still the caller's) then `mark_sold`
//! (the seats join the showtime's sold set). It writes no order to Postgres; the full app's
//! `/api/purchase`, measured as the reference row, does.

use marquee::app::error::AppError;
use marquee::server::AppState;
use marquee::server::booking::holds::HoldAttempt;
use marquee::server::booking::showtimes::ShowtimeInfo;

use super::server::{Design, Error, Outcome};

/// The client address the engine counts seats against (the bench lifts that cap).
const CLIENT: &str = "bench";

pub struct Engine {
    pub state: AppState,
}

/// Seat names in a refusal back to ids (the engine names seats as people read them, "C7").
fn ids(info: &ShowtimeInfo, names: &[String]) -> Vec<i64> {
    info.seats
        .iter()
        .filter(|(_, seat)| names.contains(&seat.name))
        .map(|(id, _)| *id)
        .collect()
}

impl Design for Engine {
    async fn prepare(&self, _showtime: i64, _seats: &[i64]) -> Result<(), Error> {
        Ok(())
    }

    async fn hold(&self, showtime: i64, session: &str, seats: &[i64]) -> Result<Outcome, Error> {
        let state = &self.state;
        let info = state.showtimes.get(&state.db, showtime).await?;
        match state
            .holds
            .hold(&state.db, &info, session, CLIENT, seats)
            .await
        {
            Ok(HoldAttempt::Held(status)) => Ok(Outcome::Done(status.seat_ids)),
            // Only when people wait in line, which nobody does here.
            Ok(HoldAttempt::ServeLineFirst) => Ok(Outcome::Busy),
            Err(AppError::SeatTaken { seats }) => Ok(Outcome::Taken(ids(&info, &seats))),
            Err(error) => Err(error.into()),
        }
    }

    async fn release(&self, showtime: i64, session: &str, seats: &[i64]) -> Result<Outcome, Error> {
        let state = &self.state;
        let info = state.showtimes.get(&state.db, showtime).await?;
        match state
            .holds
            .release(&info, session, CLIENT, Some(seats))
            .await
        {
            Ok(_) => Ok(Outcome::Done(seats.to_vec())),
            Err(AppError::NotYourHold { seats }) => Ok(Outcome::Taken(ids(&info, &seats))),
            Err(error) => Err(error.into()),
        }
    }

    async fn confirm(&self, showtime: i64, session: &str, seats: &[i64]) -> Result<Outcome, Error> {
        let state = &self.state;
        let info = state.showtimes.get(&state.db, showtime).await?;
        match state.holds.begin_checkout(&info, session, seats).await {
            Ok(_) => {}
            Err(
                AppError::SeatTaken { seats }
                | AppError::NotYourHold { seats }
                | AppError::HoldExpired { seats },
            ) => return Ok(Outcome::Taken(ids(&info, &seats))),
            Err(error) => return Err(error.into()),
        }
        let sold: Vec<(i64, String)> = seats.iter().map(|&s| (s, session.to_string())).collect();
        state.holds.mark_sold(&state.db, showtime, &sold).await?;
        Ok(Outcome::Done(seats.to_vec()))
    }

    async fn seat_map(&self, showtime: i64) -> Result<(Vec<i64>, Vec<i64>), Error> {
        let state = &self.state;
        let info = state.showtimes.get(&state.db, showtime).await?;
        // The engine's atomic snapshot, as `/api/seat_map` reads it; nobody is "me" here.
        let map = state.holds.snapshot(&state.db, &info, "").await?;
        Ok((map.sold, map.held))
    }

    async fn audit(&self, showtime: i64) -> Result<(i64, i64), Error> {
        // A Redis set: its members are distinct by construction, so rows == distinct here, and
        // a double sale would show as more seats confirmed to buyers than members.
        let mut redis = self.state.redis.clone();
        let sold: i64 = redis::cmd("SCARD")
            .arg(self.state.holds.keys(showtime).sold())
            .query_async(&mut redis)
            .await?;
        Ok((sold, sold))
    }
}
