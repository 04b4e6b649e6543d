//! Checkout: turning a hold into tickets, so that a seat is never sold twice and a card is
//! never charged without a ticket, whatever crashes when.
//!
//! A request is first parsed into a [`Purchase`] (every field validated) and takes its
//! idempotency key's in-flight lock (see [`idempotency`](super::idempotency)). A key that
//! already has an order is finished, not repeated ([`finish`]). Otherwise, in this order:
//! 1. [`reserve`]: Redis, atomically: the buyer holds exactly these seats and none is sold;
//!    the hold is stretched to cover the payment.
//! 2. `orders::begin`: Postgres, one transaction: the order, `pending`, and its tickets. The
//!    partial `UNIQUE (showtime_id, seat_id) WHERE active` index is the final fence: if Redis
//!    was wrong, the buyer hears "seat taken" before any money moves.
//! 3. [`pay`]: the gateway charges under the order's own payment key, within
//!    `PAYMENT_TIMEOUT_MS`. A decline fails the order (its seats free in Postgres, the hold's
//!    stretch undone). An answer that never came is settled at once with the gateway
//!    (captured, or voided for good); if even that fails, the order stays pending and the
//!    buyer hears "being confirmed" (the reconciler settles it).
//! 4. `orders::mark_paid`, then [`settle`]: Redis marks the seats sold (dropping any hold on
//!    them), then the order is `fulfilled`.
//!
//! Whatever dies between two steps, the order row says how far it got, and the
//! [`reconciler`](super::reconciler) (or the buyer's retry) finishes from there: a stale
//! pending payment is settled with the gateway; a paid order is settled in Redis.

use std::sync::Arc;
use std::time::Instant;

mod settlement;

use self::settlement::{pending, refund, settle_unknown};
pub use self::settlement::{resolve_pending, settle};
use super::holds::Stretch;
use super::idempotency::{PurchaseClaim, Waited, fingerprint};
use super::orders::{self, BeginOutcome, NewOrder, OrderStatus, StoredOrder};
use super::payment::{Charge, ChargeRequest, PaymentError};
use super::showtimes::ShowtimeInfo;
use crate::app::booking::{
    BuyerName, CardNumber, Email, IdempotencyKey, OrderView, PurchaseRequest, seat_selection,
};
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::faults;
use crate::server::limits::Asker;
use crate::server::telemetry::metrics;

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
    let idempotency = &state.idempotency;
    let mut lock = None;
    for _ in 0..3 {
        if let Some(taken) = idempotency.lock(&purchase.claim).await? {
            lock = Some(taken);
            break;
        }
        // A double click: the first attempt's order is the answer; a retry after a crash
        // takes over from the attempt that died.
        match idempotency
            .wait_for_other_attempt(&state.db, &purchase.claim, state.settings.payment_stale)
            .await?
        {
            Waited::Settled(order) => return finish(state, order).await,
            Waited::Free => continue,
            Waited::Running => return Err(AppError::PurchaseInProgress),
            Waited::Abandoned { holder } => {
                lock = idempotency.take_over(&purchase.claim, &holder).await?;
                if lock.is_some() {
                    tracing::info!("took over a purchase whose attempt is gone");
                }
                break;
            }
        }
    }
    let Some(lock) = lock else {
        return Err(AppError::PurchaseInProgress);
    };
    let result = match idempotency.existing(&state.db, &purchase.claim).await {
        Ok(None) => checkout(state, asker, &purchase).await,
        // The lock was free, so the attempt that wrote this order is gone: settle its
        // payment with the gateway. Nothing charged: this request is a new attempt.
        Ok(Some(order)) if order.status == OrderStatus::Pending => {
            match resolve_pending(state, &order).await {
                Ok(OrderStatus::Failed) => checkout(state, asker, &purchase).await,
                Ok(_) => match orders::find(&state.db, order.id).await {
                    Ok(order) => finish(state, order).await,
                    Err(error) => Err(error),
                },
                Err(error) => Err(error),
            }
        }
        Ok(Some(order)) => finish(state, order).await,
        Err(error) => Err(error),
    };
    lock.release().await;
    result
}

/// A key whose order is settled: answer with it. Replays settle the seats again (Redis may
/// have lost the sale since).
async fn finish(state: &AppState, order: StoredOrder) -> Result<OrderView, AppError> {
    match order.status {
        OrderStatus::Paid | OrderStatus::Fulfilled => {
            if let Err(error) = settle(state, &order).await {
                tracing::warn!(?error, order = order.id, "settling on replay failed");
            }
            view(state, &order.code).await
        }
        OrderStatus::Refunding | OrderStatus::Refunded | OrderStatus::Failed => {
            Err(AppError::PaymentDeclined {
                message: "this payment could not be completed and was refunded".into(),
            })
        }
        OrderStatus::Pending => Err(pending(state)),
    }
}

/// A new attempt: the four steps.
async fn checkout(
    state: &AppState,
    asker: Asker<'_>,
    purchase: &Purchase,
) -> Result<OrderView, AppError> {
    let Reserved { showtime, stretch } = reserve(state, purchase).await?;
    let undo = Undo {
        state,
        purchase,
        showtime: showtime.id,
        stretch,
    };
    let order = match begin(state, purchase, &showtime).await {
        Ok(order) => order,
        Err(error) => {
            undo.run().await;
            return Err(error);
        }
    };
    faults::point("purchase::before_charge");
    let charge = match pay(state, asker, purchase, &showtime, &order).await {
        Paid::Captured(charge) => charge,
        Paid::Refused(error) => {
            undo.run().await;
            return Err(error);
        }
        Paid::Unknown => return Err(pending(state)),
    };
    faults::point("purchase::after_charge");
    match orders::mark_paid(&state.db, order.id, &charge.id).await? {
        OrderStatus::Paid | OrderStatus::Fulfilled => {}
        // The order gave up on this payment before it was captured (a reconciler voided
        // it while this attempt was frozen): this money must go back.
        status => {
            refund(state, &order, &charge).await?;
            tracing::warn!(?status, order = order.id, "a late capture was refunded");
            return Err(AppError::PaymentDeclined {
                message: "the payment took too long and was refunded; please try again".into(),
            });
        }
    }
    faults::point("purchase::after_paid");
    let order = orders::find(&state.db, order.id).await?;
    if let Err(error) = settle(state, &order).await {
        // The order is paid and the seats are the buyer's in Postgres; Redis hears of it
        // from the reconciler.
        tracing::error!(
            ?error,
            order = order.id,
            "paid order not settled in Redis yet"
        );
    }
    view(state, &order.code).await
}

/// Gives a hold back its own expiry when no payment came of it: trying cards must not keep
/// seats.
struct Undo<'a> {
    state: &'a AppState,
    purchase: &'a Purchase,
    showtime: i64,
    stretch: Option<Stretch>,
}

impl Undo<'_> {
    async fn run(self) {
        let Some(stretch) = self.stretch else { return };
        let undone = self
            .state
            .holds
            .undo_stretch(
                self.showtime,
                self.purchase.session(),
                &self.purchase.seats,
                stretch,
            )
            .await;
        if let Err(undo) = undone {
            tracing::warn!(?undo, "could not give a hold back its expiry");
        }
    }
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
    showtime.check_companions(&purchase.seats)?;
    showtime.check_on_sale()?;
    let stretch = state
        .holds
        .begin_checkout(&showtime, purchase.session(), &purchase.seats)
        .await?;
    Ok(Reserved { showtime, stretch })
}

/// Step 2: the pending order and its tickets, before any money moves.
async fn begin(
    state: &AppState,
    purchase: &Purchase,
    showtime: &ShowtimeInfo,
) -> Result<StoredOrder, AppError> {
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
    match orders::begin(&state.db, order).await? {
        BeginOutcome::Created(order) => Ok(order),
        BeginOutcome::SeatsTaken(taken) => {
            tracing::warn!(
                ?taken,
                "Postgres refused a sale Redis allowed; correcting Redis"
            );
            super::reconciler::sync_showtime(state, showtime.id).await;
            Err(AppError::SeatTaken {
                seats: showtime.names(&taken),
            })
        }
        // Another attempt under this key took over (our lock had expired).
        BeginOutcome::DuplicateKey => Err(AppError::PurchaseInProgress),
    }
}

/// How the payment of a new order came out.
enum Paid {
    Captured(Charge),
    /// Nothing was charged, for good; the order has failed and this is the buyer's answer.
    Refused(AppError),
    /// Nobody knows yet; the order stays pending.
    Unknown,
}

/// Step 3: take the money, unless this buyer or this card has been declined too often (card
/// testing); a decline counts against both.
async fn pay(
    state: &AppState,
    asker: Asker<'_>,
    purchase: &Purchase,
    showtime: &ShowtimeInfo,
    order: &StoredOrder,
) -> Paid {
    if let Err(error) = state.limiter.check_card(asker, &purchase.card).await {
        return fail(state, order, "refused before charging", error).await;
    }
    let request = ChargeRequest {
        amount_cents: i64::from(order.total_cents),
        card: &purchase.card,
        idempotency_key: &order.payment_key,
        description: format!("{} · {}", showtime.movie_title, showtime.starts_label),
    };
    let started = Instant::now();
    let answer = tokio::time::timeout(
        state.settings.payment_timeout,
        state.payments.charge(request),
    )
    .await;
    let result = match &answer {
        Ok(Ok(_)) => "captured",
        Ok(Err(error)) => error.label(),
        Err(_) => "timeout",
    };
    metrics::payment_call("charge", result, started.elapsed());
    match answer {
        Ok(Ok(charge)) => Paid::Captured(charge),
        Ok(Err(PaymentError::Declined(message))) => {
            state.limiter.record_decline(asker, &purchase.card).await;
            let reason = format!("declined: {message}");
            fail(state, order, &reason, AppError::PaymentDeclined { message }).await
        }
        Ok(Err(PaymentError::Unavailable(cause))) => {
            tracing::error!(cause, order = order.id, "payment processor failed");
            settle_unknown(state, order).await
        }
        Err(_) => {
            tracing::error!(order = order.id, "payment processor did not answer in time");
            settle_unknown(state, order).await
        }
    }
}

async fn fail(state: &AppState, order: &StoredOrder, reason: &str, answer: AppError) -> Paid {
    match orders::mark_failed(&state.db, order.id, reason).await {
        Ok(_) => Paid::Refused(answer),
        Err(error) => {
            tracing::error!(
                ?error,
                order = order.id,
                "could not record a failed payment"
            );
            Paid::Unknown
        }
    }
}

async fn view(state: &AppState, code: &str) -> Result<OrderView, AppError> {
    orders::view(&state.db, &state.showtimes, &state.tickets, code)
        .await?
        .ok_or(AppError::Internal)
}
