//! Checkout: turning a hold into tickets, so that a seat can never be sold twice.
//!
//! 1. Idempotency: a purchase key seen before returns its order (same request) or is refused
//!    (different request); a key in flight makes a concurrent retry wait for its result.
//! 2. Redis, atomically: the buyer holds exactly these seats and none is sold; the hold is
//!    stretched to cover the payment.
//! 3. Payment through the [`PaymentGateway`]. A decline leaves the hold in place.
//! 4. Postgres, one transaction: the order and its tickets. `UNIQUE (showtime_id, seat_id)` is
//!    the final fence: if Redis was wrong (lost data, a hold forced past it), the insert fails,
//!    the charge is refunded, Redis is corrected, and the buyer hears "seat taken".
//! 5. Redis: the seats are sold, their holds dropped, every viewer told.

use std::time::Duration;

use redis::AsyncCommands;
use sha2::{Digest, Sha256};

use super::holds::CheckoutRefusal;
use super::keys::idempotency;
use super::orders::{self, InsertOutcome, NewOrder};
use super::payment::{ChargeRequest, PaymentError};
use crate::app::booking::{
    BuyerName, CardNumber, Email, IdempotencyKey, OrderView, PurchaseRequest, seat_selection,
};
use crate::app::error::AppError;
use crate::server::AppState;

/// How long a purchase may hold its idempotency key before another attempt may take over.
const IN_FLIGHT_TTL: Duration = Duration::from_secs(60);
/// How long a concurrent retry waits for the first attempt to finish.
const RETRY_WAIT: Duration = Duration::from_secs(15);

#[tracing::instrument(skip(state, request), fields(showtime = request.showtime_id))]
pub async fn purchase(
    state: &AppState,
    session: &str,
    request: PurchaseRequest,
) -> Result<OrderView, AppError> {
    let name = BuyerName::parse(&request.name).map_err(AppError::bad_input)?;
    let email = Email::parse(&request.email).map_err(AppError::bad_input)?;
    let card = CardNumber::parse(&request.card_number).map_err(AppError::bad_input)?;
    let key = IdempotencyKey::parse(&request.idempotency_key).map_err(AppError::bad_input)?;
    let max = state.holds.rules().max_seats as usize;
    let seats = seat_selection(&request.seat_ids, max).map_err(AppError::bad_input)?;
    let fingerprint = fingerprint(request.showtime_id, &seats, &name, &email, &card);

    if let Some(order) = replay(state, session, key.as_str(), &fingerprint).await? {
        return Ok(order);
    }

    // Only one attempt per key at a time: a double-clicked "Pay" must not charge twice.
    let lock = idempotency(state.holds.prefix(), key.as_str());
    let acquired: bool = redis::cmd("SET")
        .arg(&lock)
        .arg(session)
        .arg("NX")
        .arg("PX")
        .arg(IN_FLIGHT_TTL.as_millis() as u64)
        .query_async::<Option<String>>(&mut state.holds.redis())
        .await?
        .is_some();
    if !acquired {
        return wait_for_first_attempt(state, session, key.as_str(), &fingerprint).await;
    }
    let result = checkout(
        state,
        session,
        request.showtime_id,
        &seats,
        &name,
        &email,
        &card,
        &key,
        &fingerprint,
    )
    .await;
    let _: Result<(), _> = state.holds.redis().del(&lock).await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn checkout(
    state: &AppState,
    session: &str,
    showtime_id: i64,
    seats: &[i64],
    name: &BuyerName,
    email: &Email,
    card: &CardNumber,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Result<OrderView, AppError> {
    // A concurrent attempt may have finished between our first look and taking the lock.
    if let Some(order) = replay(state, session, key.as_str(), fingerprint).await? {
        return Ok(order);
    }
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    showtime.check_seats(seats)?;
    if showtime.has_started() {
        return Err(AppError::ShowtimeStarted);
    }

    match state
        .holds
        .begin_checkout(showtime.id, session, seats)
        .await?
    {
        Ok(()) => {}
        Err(CheckoutRefusal::Sold(ids)) => {
            return Err(AppError::SeatTaken {
                seats: showtime.names(&ids),
            });
        }
        Err(CheckoutRefusal::NotYours(ids)) => {
            return Err(AppError::NotYourHold {
                seats: showtime.names(&ids),
            });
        }
        Err(CheckoutRefusal::Expired(ids)) => {
            return Err(AppError::HoldExpired {
                seats: showtime.names(&ids),
            });
        }
        Err(CheckoutRefusal::Mismatch) => {
            return Err(AppError::bad_input(
                "the seats to buy must be exactly the seats you hold; release the others first",
            ));
        }
    }

    let charge = state
        .payments
        .charge(ChargeRequest {
            amount_cents: showtime.total_cents(seats),
            card,
            idempotency_key: key.as_str(),
            description: format!("{} · {}", showtime.movie_title, showtime.starts_label),
        })
        .await
        .map_err(|error| match error {
            PaymentError::Declined(message) => AppError::PaymentDeclined { message },
            PaymentError::Unavailable(cause) => {
                tracing::error!(cause, "payment processor unavailable");
                AppError::Internal
            }
        })?;

    let outcome = orders::insert(
        &state.db,
        NewOrder {
            showtime: &showtime,
            seats,
            session,
            name: name.as_str(),
            email: email.as_str(),
            card_last4: &card.last4(),
            idempotency_key: key.as_str(),
            request_hash: fingerprint,
        },
    )
    .await;
    let code = match outcome {
        Ok(InsertOutcome::Created { code }) => code,
        Ok(InsertOutcome::SeatsTaken(taken)) => {
            refund(state, &charge).await;
            tracing::warn!(
                ?taken,
                "Postgres refused a sale Redis allowed; correcting Redis"
            );
            // Those seats are sold: tell Redis, which drops the buyer's holds on them.
            if let Err(error) = state.holds.mark_sold(showtime.id, session, &taken).await {
                tracing::error!(?error, "could not correct Redis after the fence fired");
                let _ = state.holds.invalidate_sold(showtime.id).await;
            }
            return Err(AppError::SeatTaken {
                seats: showtime.names(&taken),
            });
        }
        Ok(InsertOutcome::DuplicateKey) => {
            refund(state, &charge).await;
            return replay(state, session, key.as_str(), fingerprint)
                .await?
                .ok_or(AppError::PurchaseInProgress);
        }
        Err(error) => {
            refund(state, &charge).await;
            return Err(error);
        }
    };

    // The order is committed: from here on the seats are sold whatever happens. If Redis
    // cannot be told now, make it rebuild the sold seats from Postgres before the next hold.
    if let Err(error) = state.holds.mark_sold(showtime.id, session, seats).await {
        tracing::error!(
            ?error,
            "order committed but Redis not updated; forcing a rebuild"
        );
        let _ = state.holds.invalidate_sold(showtime.id).await;
    }
    orders::view(&state.db, &state.showtimes, &code)
        .await?
        .ok_or(AppError::Internal)
}

async fn refund(state: &AppState, charge: &super::payment::Charge) {
    if let Err(error) = state.payments.refund(charge).await {
        tracing::error!(charge = charge.id, %error, "REFUND FAILED: needs manual attention");
    }
}

/// The order already made under this key, if the request is the same; an error if the key
/// was used for something else (or by someone else).
async fn replay(
    state: &AppState,
    session: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Option<OrderView>, AppError> {
    let Some(stored) = orders::find_by_key(&state.db, key).await? else {
        return Ok(None);
    };
    if stored.request_hash != fingerprint || stored.session_id != session {
        return Err(AppError::IdempotencyMismatch);
    }
    orders::view(&state.db, &state.showtimes, &stored.code).await
}

async fn wait_for_first_attempt(
    state: &AppState,
    session: &str,
    key: &str,
    fingerprint: &str,
) -> Result<OrderView, AppError> {
    let deadline = tokio::time::Instant::now() + RETRY_WAIT;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(order) = replay(state, session, key, fingerprint).await? {
            return Ok(order);
        }
        let in_flight: bool = state
            .holds
            .redis()
            .exists(idempotency(state.holds.prefix(), key))
            .await?;
        if !in_flight {
            // The first attempt failed without an order; its error went to its caller.
            break;
        }
    }
    Err(AppError::PurchaseInProgress)
}

/// What identifies "the same purchase": showtime, seats, buyer and the card's last digits.
/// The full card number is deliberately not part of it (nothing of it beyond the last four
/// digits is kept, not even a hash).
fn fingerprint(
    showtime: i64,
    seats: &[i64],
    name: &BuyerName,
    email: &Email,
    card: &CardNumber,
) -> String {
    let seats: Vec<String> = seats.iter().map(i64::to_string).collect();
    let canonical = format!(
        "v1\n{showtime}\n{}\n{}\n{}\n{}",
        seats.join(","),
        name.as_str(),
        email.as_str().to_lowercase(),
        card.last4()
    );
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
