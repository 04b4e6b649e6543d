//! Best available: choose the seats (`app::booking::seating`, a pure function of the room)
//! from a fresh look at the map, and hold them like any pick.

use std::collections::HashSet;

use super::{Caller, hold_after_line};
use crate::app::booking::{BestHold, seating};
use crate::app::catalog::SeatKind;
use crate::app::error::AppError;
use crate::server::limits::Budget;
use crate::server::telemetry::metrics::{Operation, measured};

pub async fn hold_best(
    showtime_id: i64,
    count: u32,
    kind: Option<SeatKind>,
) -> Result<BestHold, AppError> {
    measured(
        Operation::HoldBest,
        best_available(showtime_id, count, kind),
    )
    .await
}

/// Chooses from a fresh look at the map and holds the choice; when someone takes one of
/// the seats first, looks again (two people asking at once end with disjoint blocks).
async fn best_available(
    showtime_id: i64,
    count: u32,
    kind: Option<SeatKind>,
) -> Result<BestHold, AppError> {
    let Caller {
        state,
        session,
        showtime,
        client,
    } = Caller::limited(showtime_id, Budget::Holds).await?;
    let client = client.bucket();
    let max = state.holds.rules().max_seats;
    if count == 0 {
        return Err(AppError::bad_input("count must be at least 1"));
    }
    if count > max {
        return Err(AppError::TooManySeats { max });
    }
    showtime.check_on_sale()?;
    if kind == Some(SeatKind::Companion) && showtime.companion_needs_wheelchair {
        return Err(AppError::bad_input(
            "companion seats come with a wheelchair space: ask for kind \"wheelchair\" and \
             a count of 2 or more",
        ));
    }
    for _ in 0..8 {
        let map = state
            .holds
            .snapshot(&state.db, &showtime, session.as_str())
            .await?;
        if map.hold.as_ref().is_some_and(|h| !h.seat_ids.is_empty()) {
            return Err(AppError::HoldingSeats);
        }
        if map.line.is_some() {
            return Err(AppError::InLine);
        }
        let taken: HashSet<i64> = map.sold.iter().chain(&map.held).copied().collect();
        let places = showtime.places(&taken);
        let Some(choice) = seating::choose(&places, count as usize, kind) else {
            let available = u32::try_from(seating::available(&places, kind)).unwrap_or(u32::MAX);
            return Err(AppError::NotEnoughSeats { available });
        };
        let held =
            hold_after_line(&state, &showtime, session.as_str(), &client, &choice.seats).await;
        match held {
            Ok(hold) => {
                return Ok(BestHold {
                    hold,
                    arrangement: choice.arrangement,
                    seats: showtime.names(&choice.seats),
                    stranded: showtime.names(&choice.stranded),
                });
            }
            // Someone was quicker to one of the seats: choose again.
            Err(AppError::SeatTaken { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    tracing::warn!("the best seats kept being taken while choosing; giving up");
    Err(AppError::Internal)
}
