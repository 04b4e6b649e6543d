//! Booking on the server: holds (the active-reservation service), checkout, orders.
//!
//! The functions here are what the booking server functions call. Each finds the caller's
//! session and the application state, validates input at the edge, and hands over to:
//! - [`best`]: best available, which seats to hold for "N seats";
//! - [`forms`]: the same functions behind the HTML forms of the page without JavaScript;
//! - [`holds`]: the Redis hold engine and its Lua scripts (the active-reservation service);
//! - [`line`]: the waiting line and its offers (the waiting-users service);
//! - [`keys`]: the Redis key names of a showtime, shared by the two;
//! - [`script`]: how both call their Lua scripts (typed contracts, the shared Lua prelude);
//! - [`purchase`]: checkout as a pipeline (reserve → charge → record → settle);
//! - [`idempotency`]: one order per purchase key, and one attempt at a time;
//! - [`orders`]: orders and tickets in Postgres;
//! - [`payment`]: the payment gateway trait and the test gateway;
//! - [`showtimes`]: the cached seats and prices of a showtime;
//! - [`sweeper`]: the task that announces expired holds and serves the line with their seats.

pub mod best;
pub mod forms;
pub mod holds;
pub mod idempotency;
pub mod keys;
pub mod line;
pub mod orders;
pub mod payment;
pub mod purchase;
pub mod reconciler;
pub mod script;
pub mod showtimes;
pub mod sweeper;

use std::sync::Arc;

use self::holds::HoldAttempt;
use self::showtimes::ShowtimeInfo;
use crate::app::booking::{
    HoldStatus, LinePlace, OrderView, PurchaseRequest, SeatMapState, seat_selection,
};
use crate::app::error::AppError;
use crate::server::client::{self, ClientIp};
use crate::server::limits::{Asker, Budget};
use crate::server::session::SessionId;
use crate::server::telemetry::metrics::{Operation, measured};
use crate::server::{AppState, session};

/// Who is calling about which showtime: what most booking functions start from.
struct Caller {
    state: AppState,
    session: SessionId,
    client: ClientIp,
    showtime: Arc<ShowtimeInfo>,
}

impl Caller {
    /// The caller, for a request that only reads.
    async fn about(showtime_id: i64) -> Result<Self, AppError> {
        Self::find(showtime_id, None).await
    }

    /// The caller, once `budget` has room for one more of its requests.
    async fn limited(showtime_id: i64, budget: Budget) -> Result<Self, AppError> {
        Self::find(showtime_id, Some(budget)).await
    }

    async fn find(showtime_id: i64, budget: Option<Budget>) -> Result<Self, AppError> {
        let state = AppState::current()?;
        let session = session::current()?;
        let client = client::current()?;
        if let Some(budget) = budget {
            let asker = Asker {
                client,
                session: Some(&session),
            };
            state.limiter.spend(budget, asker).await?;
        }
        let showtime = state.showtimes.get(&state.db, showtime_id).await?;
        Ok(Self {
            state,
            session,
            client,
            showtime,
        })
    }
}

pub async fn seat_map(showtime_id: i64) -> Result<SeatMapState, AppError> {
    let Caller {
        state,
        session,
        showtime,
        ..
    } = Caller::about(showtime_id).await?;
    state
        .holds
        .snapshot(&state.db, &showtime, session.as_str())
        .await
}

pub async fn hold_seats(showtime_id: i64, seat_ids: Vec<i64>) -> Result<HoldStatus, AppError> {
    measured(Operation::Hold, hold(showtime_id, seat_ids)).await
}

async fn hold(showtime_id: i64, seat_ids: Vec<i64>) -> Result<HoldStatus, AppError> {
    let Caller {
        state,
        session,
        showtime,
        client,
    } = Caller::limited(showtime_id, Budget::Holds).await?;
    let client = client.bucket();
    let max = state.holds.rules().max_seats as usize;
    let seats = seat_selection(&seat_ids, max).map_err(|_| {
        if seat_ids.len() > max {
            AppError::TooManySeats { max: max as u32 }
        } else {
            AppError::bad_input("seat_ids must list at least one seat, each once")
        }
    })?;
    showtime.check_seats(&seats)?;
    showtime.check_on_sale()?;
    hold_after_line(&state, &showtime, session.as_str(), &client, &seats).await
}

/// Holds `seats`, letting the waiting line go first: people in line have first claim on
/// free seats, so when seats changed since the line was last served, the engine asks for it
/// to be served before anyone else picks.
pub(crate) async fn hold_after_line(
    state: &AppState,
    showtime: &ShowtimeInfo,
    session: &str,
    client: &str,
    seats: &[i64],
) -> Result<HoldStatus, AppError> {
    crate::server::room::require_admission(state, showtime.on_sale_id, session).await?;
    for _ in 0..5 {
        match state
            .holds
            .hold(&state.db, showtime, session, client, seats)
            .await?
        {
            HoldAttempt::Held(status) => return Ok(status),
            HoldAttempt::ServeLineFirst => {
                state.line.serve(&state.db, showtime).await?;
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
    measured(Operation::Release, release_some(showtime_id, seat_ids)).await
}

async fn release_some(
    showtime_id: i64,
    seat_ids: Option<Vec<i64>>,
) -> Result<HoldStatus, AppError> {
    // Not budgeted: a release only gives seats back, and each seat it frees took a hold,
    // which was.
    let call = Caller::about(showtime_id).await?;
    let seats = match seat_ids {
        Some(ids) => {
            let seats =
                seat_selection(&ids, call.showtime.seat_ids.len()).map_err(AppError::bad_input)?;
            call.showtime.check_seats(&seats)?;
            Some(seats)
        }
        None => None,
    };
    release(call, seats.as_deref()).await
}

/// Releases the caller's `seats` (all with `None`) and serves the waiting line with them.
async fn release(call: Caller, seats: Option<&[i64]>) -> Result<HoldStatus, AppError> {
    let Caller {
        state,
        session,
        showtime,
        client,
    } = call;
    let released = state
        .holds
        .release(&showtime, session.as_str(), &client.bucket(), seats)
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
    measured(Operation::LineJoin, join(showtime_id, party)).await
}

async fn join(showtime_id: i64, party: u32) -> Result<LinePlace, AppError> {
    let call = Caller::limited(showtime_id, Budget::LineJoins).await?;
    call.showtime.check_on_sale()?;
    // Offers are holds: waiting for one is shopping too, so it needs the on-sale's admission.
    let (state, session) = (&call.state, call.session.as_str());
    crate::server::room::require_admission(state, call.showtime.on_sale_id, session).await?;
    call.state
        .line
        .join(
            &call.state.db,
            &call.showtime,
            call.session.as_str(),
            &call.client.bucket(),
            party,
        )
        .await
}

/// Leaves the showtime's waiting line (nothing happens if the caller is not in it).
pub async fn leave_line(showtime_id: i64) -> Result<(), AppError> {
    let call = Caller::about(showtime_id).await?;
    call.state
        .line
        .leave(call.showtime.id, call.session.as_str())
        .await?;
    Ok(())
}

/// The caller's place in the showtime's waiting line, if any.
pub async fn line_place(showtime_id: i64) -> Result<Option<LinePlace>, AppError> {
    let call = Caller::about(showtime_id).await?;
    call.state
        .line
        .place(call.showtime.id, call.session.as_str())
        .await
}

/// Declines the seats the waiting line offered the caller: they go to the next in line.
pub async fn decline_offer(showtime_id: i64) -> Result<HoldStatus, AppError> {
    measured(Operation::OfferDecline, decline(showtime_id)).await
}

async fn decline(showtime_id: i64) -> Result<HoldStatus, AppError> {
    let call = Caller::limited(showtime_id, Budget::Holds).await?;
    if !call
        .state
        .holds
        .is_offer(call.showtime.id, call.session.as_str())
        .await?
    {
        return Err(AppError::not_found("offer"));
    }
    release(call, None).await
}

pub async fn extend_hold(showtime_id: i64) -> Result<HoldStatus, AppError> {
    measured(Operation::Extend, async {
        let call = Caller::limited(showtime_id, Budget::Holds).await?;
        call.state
            .holds
            .extend(call.showtime.id, call.session.as_str())
            .await
    })
    .await
}

pub async fn purchase(request: PurchaseRequest) -> Result<OrderView, AppError> {
    measured(Operation::Purchase, buy(request)).await
}

async fn buy(request: PurchaseRequest) -> Result<OrderView, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    let client = client::current()?;
    let asker = Asker {
        client,
        session: Some(&session),
    };
    state.limiter.spend(Budget::Purchases, asker).await?;
    let showtime = state.showtimes.get(&state.db, request.showtime_id).await?;
    crate::server::room::require_admission(&state, showtime.on_sale_id, session.as_str()).await?;
    // Its own task: a client that gives up, or the request timeout, drops this future, and a
    // purchase cut off between the charge and the order would leave money taken without a
    // ticket. The task runs to the end either way; a retry under the same key finds its order.
    let checkout = tokio::spawn(async move {
        let asker = Asker {
            client,
            session: Some(&session),
        };
        purchase::purchase(&state, asker, request).await
    });
    checkout.await.map_err(|error| {
        tracing::error!(%error, "the purchase task failed");
        AppError::Internal
    })?
}

/// Anyone with the code may see the order: the code is the ticket.
pub async fn order(code: String) -> Result<OrderView, AppError> {
    let state = AppState::current()?;
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::not_found("order"));
    }
    orders::view(&state.db, &state.showtimes, &state.tickets, &code)
        .await?
        .ok_or_else(|| AppError::not_found("order"))
}

pub async fn verify_ticket(token: String) -> Result<crate::app::booking::TicketCheck, AppError> {
    let state = AppState::current()?;
    state.tickets.verify(&state, &token).await
}

pub async fn my_orders() -> Result<Vec<crate::app::booking::OrderSummary>, AppError> {
    let state = AppState::current()?;
    let session = session::current()?;
    orders::of_session(&state.db, &state.showtimes, session.as_str()).await
}
