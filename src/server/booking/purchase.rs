//! Checkout: turning a hold into tickets, so that a seat can never be sold twice.
//!
//! A request is first parsed into a [`Purchase`] (every field validated) and checked against
//! its idempotency key (see [`idempotency`](super::idempotency): a key seen before returns its
//! order; a key in flight makes a concurrent retry wait). Then four steps, in this order:
//! 1. [`reserve`]: Redis, atomically: the buyer holds exactly these seats and none is sold;
//!    the hold is stretched to cover the payment.
//! 2. [`charge`]: payment through the [`PaymentGateway`](super::payment::PaymentGateway).
//!    A decline leaves the hold in place.
//! 3. [`record`]: Postgres, one transaction: the order and its tickets. `UNIQUE (showtime_id,
//!    seat_id)` is the final fence: if Redis was wrong (lost data, a hold forced past it), the
//!    insert fails, the charge is refunded, Redis is corrected, and the buyer hears "seat
//!    taken".
//! 4. [`settle`]: Redis: the seats are sold, their holds dropped, every viewer told.

use std::sync::Arc;

use super::holds::Stretch;
use super::idempotency::{Attempt, PurchaseClaim, fingerprint};
use super::orders::{self, InsertOutcome, NewOrder};
use super::payment::{Charge, ChargeRequest, PaymentError};
use super::showtimes::ShowtimeInfo;
use crate::app::booking::{
    BuyerName, CardNumber, Email, IdempotencyKey, OrderView, PurchaseRequest, seat_selection,
};
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::limits::Asker;

/// A purchase request whose every field is valid.
#[derive(Debug)]
pub struct Purchase {
    pub showtime_id: i64,
    /// Distinct, sorted.
    pub seats: Vec<i64>,
    pub name: BuyerName,
    pub email: Email,
    pub card: CardNumber,
    pub claim: PurchaseClaim,
}

impl Purchase {
    pub fn parse(
        session: &str,
        request: &PurchaseRequest,
        max_seats: usize,
    ) -> Result<Self, AppError> {
        let name = BuyerName::parse(&request.name).map_err(AppError::bad_input)?;
        let email = Email::parse(&request.email).map_err(AppError::bad_input)?;
        let card = CardNumber::parse(&request.card_number).map_err(AppError::bad_input)?;
        let key = IdempotencyKey::parse(&request.idempotency_key).map_err(AppError::bad_input)?;
        let seats = seat_selection(&request.seat_ids, max_seats).map_err(AppError::bad_input)?;
        let fingerprint = fingerprint(request.showtime_id, &seats, &name, &email, &card);
        Ok(Self {
            showtime_id: request.showtime_id,
            seats,
            name,
            email,
            card,
            claim: PurchaseClaim {
                session: session.to_owned(),
                key,
                fingerprint,
            },
        })
    }

    fn session(&self) -> &str {
        &self.claim.session
    }
}

#[tracing::instrument(skip(state, asker, request), fields(showtime = request.showtime_id))]
pub async fn purchase(
    state: &AppState,
    asker: Asker<'_>,
    request: PurchaseRequest,
) -> Result<OrderView, AppError> {
    let max = state.holds.rules().max_seats as usize;
    let session = asker.session.ok_or(AppError::Internal)?;
    let purchase = Purchase::parse(session.as_str(), &request, max)?;
    let in_flight = match state
        .idempotency
        .begin(&state.db, &state.showtimes, &purchase.claim)
        .await?
    {
        Attempt::Done(order) => return Ok(order),
        Attempt::Run(in_flight) => in_flight,
    };
    let result = checkout(state, asker, &purchase).await;
    in_flight.finish().await;
    result
}

/// The four steps, once the purchase is known to be new and this attempt the only one.
async fn checkout(
    state: &AppState,
    asker: Asker<'_>,
    purchase: &Purchase,
) -> Result<OrderView, AppError> {
    let Reserved { showtime, stretch } = reserve(state, purchase).await?;
    let charge = match charge(state, asker, purchase, &showtime).await {
        Ok(charge) => charge,
        Err(error) => {
            // No payment, no extra time: trying cards must not keep seats.
            if let Some(stretch) = stretch {
                let undone = state
                    .holds
                    .undo_stretch(showtime.id, purchase.session(), &purchase.seats, stretch)
                    .await;
                if let Err(undo) = undone {
                    tracing::warn!(?undo, "could not give a hold back its expiry");
                }
            }
            return Err(error);
        }
    };
    let code = match record(state, purchase, &showtime, &charge).await? {
        Recorded::Order(code) => code,
        Recorded::Replayed(order) => return Ok(*order),
    };
    settle(state, purchase, &showtime).await;
    orders::view(&state.db, &state.showtimes, &code)
        .await?
        .ok_or(AppError::Internal)
}

/// What step 1 found: the showtime, and how its hold was stretched for the payment.
struct Reserved {
    showtime: Arc<ShowtimeInfo>,
    stretch: Option<Stretch>,
}

/// Step 1: the showtime is on sale and the buyer's hold is exactly these seats, now lasting
/// long enough for the payment.
async fn reserve(state: &AppState, purchase: &Purchase) -> Result<Reserved, AppError> {
    let showtime = state.showtimes.get(&state.db, purchase.showtime_id).await?;
    showtime.check_seats(&purchase.seats)?;
    if showtime.has_started() {
        return Err(AppError::ShowtimeStarted);
    }
    let stretch = state
        .holds
        .begin_checkout(&showtime, purchase.session(), &purchase.seats)
        .await?;
    Ok(Reserved { showtime, stretch })
}

/// Step 2: take the money, unless this buyer or this card has been declined too often
/// (card testing); a decline counts against both.
async fn charge(
    state: &AppState,
    asker: Asker<'_>,
    purchase: &Purchase,
    showtime: &ShowtimeInfo,
) -> Result<Charge, AppError> {
    state.limiter.check_card(asker, &purchase.card).await?;
    let request = ChargeRequest {
        amount_cents: showtime.total_cents(&purchase.seats),
        card: &purchase.card,
        idempotency_key: purchase.claim.key.as_str(),
        description: format!("{} · {}", showtime.movie_title, showtime.starts_label),
    };
    match state.payments.charge(request).await {
        Ok(charge) => Ok(charge),
        Err(PaymentError::Declined(message)) => {
            state.limiter.record_decline(asker, &purchase.card).await;
            Err(AppError::PaymentDeclined { message })
        }
        Err(PaymentError::Unavailable(cause)) => {
            tracing::error!(cause, "payment processor unavailable");
            Err(AppError::Internal)
        }
    }
}

enum Recorded {
    /// The order is committed under this code.
    Order(String),
    /// A concurrent attempt committed the order under the same key first (this charge was
    /// refunded): its order is the answer.
    Replayed(Box<OrderView>),
}

/// Step 3: the order and its tickets in Postgres, or the charge refunded.
async fn record(
    state: &AppState,
    purchase: &Purchase,
    showtime: &ShowtimeInfo,
    charge: &Charge,
) -> Result<Recorded, AppError> {
    let order = NewOrder {
        showtime,
        seats: &purchase.seats,
        session: purchase.session(),
        name: purchase.name.as_str(),
        email: purchase.email.as_str(),
        card_last4: &purchase.card.last4(),
        idempotency_key: purchase.claim.key.as_str(),
        request_hash: &purchase.claim.fingerprint,
    };
    let outcome = orders::insert(&state.db, order).await;
    if !matches!(outcome, Ok(InsertOutcome::Created { .. })) {
        refund(state, charge).await;
    }
    match outcome? {
        InsertOutcome::Created { code } => Ok(Recorded::Order(code)),
        InsertOutcome::SeatsTaken(taken) => {
            tracing::warn!(
                ?taken,
                "Postgres refused a sale Redis allowed; correcting Redis"
            );
            // Those seats are sold: tell Redis, which drops the buyer's holds on them.
            mark_sold(state, showtime.id, purchase.session(), &taken).await;
            Err(AppError::SeatTaken {
                seats: showtime.names(&taken),
            })
        }
        InsertOutcome::DuplicateKey => state
            .idempotency
            .replay(&state.db, &state.showtimes, &purchase.claim)
            .await?
            .map(|order| Recorded::Replayed(Box::new(order)))
            .ok_or(AppError::PurchaseInProgress),
    }
}

/// Step 4: the order is committed, so the seats are sold whatever happens now; tell Redis.
async fn settle(state: &AppState, purchase: &Purchase, showtime: &ShowtimeInfo) {
    mark_sold(state, showtime.id, purchase.session(), &purchase.seats).await;
}

/// Marks seats sold in Redis; if Redis cannot be told now, makes it rebuild the sold seats
/// from Postgres before the next hold.
async fn mark_sold(state: &AppState, showtime: i64, session: &str, seats: &[i64]) {
    if let Err(error) = state.holds.mark_sold(showtime, session, seats).await {
        tracing::error!(
            ?error,
            "seats sold in Postgres but not in Redis; forcing a rebuild"
        );
        let _ = state.holds.invalidate_sold(showtime).await;
    }
}

async fn refund(state: &AppState, charge: &Charge) {
    if let Err(error) = state.payments.refund(charge).await {
        tracing::error!(charge = charge.id, %error, "REFUND FAILED: needs manual attention");
    }
}
