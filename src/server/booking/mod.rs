//! Booking on the server: holds (the active-reservation service), checkout, orders.
//!
//! The functions here are what the booking server functions call. Each finds the caller's
//! session and the application state, validates input at the edge, and hands over to:
//! - [`holds`]: the Redis hold engine and its Lua scripts (the active-reservation service);
//! - [`line`]: the waiting line and its offers (the waiting-users service);
//! - [`keys`]: the Redis key names of a showtime, shared by the two;
//! - [`purchase`]: checkout, payment and the Postgres fence;
//! - [`orders`]: orders and tickets in Postgres;
//! - [`payment`]: the payment gateway trait and the test gateway;
//! - [`showtimes`]: the cached seats and prices of a showtime;
//! - [`sweeper`]: the task that announces expired holds and serves the line with their seats.

pub mod holds;
pub mod keys;
pub mod line;
pub mod orders;
pub mod payment;
pub mod purchase;
pub mod showtimes;
pub mod sweeper;

use self::holds::HoldAttempt;
use crate::app::booking::{
    HoldStatus, LinePlace, OrderView, PurchaseRequest, SeatMapState, seat_selection,
};
use crate::app::error::AppError;
use crate::server::{AppState, session};

pub async fn seat_map(showtime_id: i64) -> Result<SeatMapState, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    state
        .holds
        .snapshot(&state.db, &showtime, session.as_str())
        .await
}

pub async fn hold_seats(showtime_id: i64, seat_ids: Vec<i64>) -> Result<HoldStatus, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    let max = state.holds.rules().max_seats as usize;
    let seats = seat_selection(&seat_ids, max).map_err(|_| {
        if seat_ids.len() > max {
            AppError::TooManySeats { max: max as u32 }
        } else {
            AppError::bad_input("seat_ids must list at least one seat, each once")
        }
    })?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    showtime.check_seats(&seats)?;
    if showtime.has_started() {
        return Err(AppError::ShowtimeStarted);
    }
    // People in line have first claim on free seats: when seats changed since the line was
    // last served, the engine asks for it to be served before anyone else picks.
    for _ in 0..5 {
        match state
            .holds
            .hold(&state.db, &showtime, session.as_str(), &seats)
            .await?
        {
            HoldAttempt::Held(status) => return Ok(status),
            HoldAttempt::ServeLineFirst => {
                state.line.serve(&state.db, &showtime).await?;
            }
        }
    }
    tracing::warn!("seats kept changing while the waiting line was served; giving up");
    Err(AppError::Internal)
}

/// Releases `seat_ids`, or every held seat with `None`.
pub async fn release_seats(
    showtime_id: i64,
    seat_ids: Option<Vec<i64>>,
) -> Result<HoldStatus, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    let seats = match seat_ids {
        Some(ids) => {
            let seats =
                seat_selection(&ids, showtime.seat_ids.len()).map_err(AppError::bad_input)?;
            showtime.check_seats(&seats)?;
            Some(seats)
        }
        None => None,
    };
    let released = state
        .holds
        .release(&showtime, session.as_str(), seats.as_deref())
        .await?;
    if released.line_waiting
        && let Err(error) = state.line.serve(&state.db, &showtime).await
    {
        // The release stands; the sweeper serves the line on its next pass instead.
        tracing::warn!(?error, "serving the line after a release failed");
        if let Err(error) = state.holds.sweep_soon(showtime.id).await {
            tracing::error!(?error, "the line could not be handed to the sweeper");
        }
    }
    Ok(released.status)
}

/// Joins the showtime's waiting line for `party` seats.
pub async fn join_line(showtime_id: i64, party: u32) -> Result<LinePlace, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    if showtime.has_started() {
        return Err(AppError::ShowtimeStarted);
    }
    state
        .line
        .join(&state.db, &showtime, session.as_str(), party)
        .await
}

/// Leaves the showtime's waiting line (nothing happens if the caller is not in it).
pub async fn leave_line(showtime_id: i64) -> Result<(), AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    state.line.leave(showtime.id, session.as_str()).await?;
    Ok(())
}

/// The caller's place in the showtime's waiting line, if any.
pub async fn line_place(showtime_id: i64) -> Result<Option<LinePlace>, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    state.line.place(showtime.id, session.as_str()).await
}

/// Declines the seats the waiting line offered the caller: they go to the next in line.
pub async fn decline_offer(showtime_id: i64) -> Result<HoldStatus, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    let view = state
        .holds
        .snapshot(&state.db, &showtime, session.as_str())
        .await?;
    if !view.offer {
        return Err(AppError::not_found("offer"));
    }
    release_seats(showtime_id, None).await
}

pub async fn extend_hold(showtime_id: i64) -> Result<HoldStatus, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    state.holds.extend(showtime.id, session.as_str()).await
}

pub async fn purchase(request: PurchaseRequest) -> Result<OrderView, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    purchase::purchase(&state, session.as_str(), request).await
}

/// Anyone with the code may see the order: the code is the ticket.
pub async fn order(code: String) -> Result<OrderView, AppError> {
    let state = AppState::current()?;
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::not_found("order"));
    }
    orders::view(&state.db, &state.showtimes, &code)
        .await?
        .ok_or_else(|| AppError::not_found("order"))
}
