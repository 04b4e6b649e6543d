//! Settling what checkout could not finish in its own request: a charge whose answer was
//! lost (settled with the gateway at once, or left pending for the reconciler), a pending
//! order whose purchase died ([`resolve_pending`]), and the seats of a paid order
//! ([`settle`], step 4); a charge for seats sold meanwhile is refunded.

use std::time::Instant;

use super::{Paid, fail};
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::booking::orders::{self, OrderStatus, StoredOrder};
use crate::server::booking::payment::{Charge, PaymentError, Settled};
use crate::server::faults;
use crate::server::telemetry::metrics;

/// The charge's answer was lost: ask the gateway to settle the key now.
pub(super) async fn settle_unknown(state: &AppState, order: &StoredOrder) -> Paid {
    match void_or_find(state, order).await {
        Ok(Settled::Captured(charge)) => Paid::Captured(charge),
        Ok(Settled::Voided) => {
            let refusal = AppError::PaymentDeclined {
                message: "the payment processor did not answer; nothing was charged".into(),
            };
            fail(
                state,
                order,
                "no answer from the processor; voided",
                refusal,
            )
            .await
        }
        Err(error) => {
            tracing::error!(%error, order = order.id, "payment outcome unknown; left pending");
            Paid::Unknown
        }
    }
}

async fn void_or_find(state: &AppState, order: &StoredOrder) -> Result<Settled, PaymentError> {
    let started = Instant::now();
    let answer = tokio::time::timeout(
        state.settings.payment_timeout,
        state.payments.void_or_find(&order.payment_key),
    )
    .await;
    let result = match &answer {
        Ok(Ok(Settled::Captured(_))) => "captured",
        Ok(Ok(Settled::Voided)) => "voided",
        Ok(Err(error)) => error.label(),
        Err(_) => "timeout",
    };
    metrics::payment_call("void_or_find", result, started.elapsed());
    answer.map_err(|_| PaymentError::Unavailable("no answer in time".into()))?
}

/// Settles a pending order whose purchase is gone: its charge if the gateway captured one
/// (then settles the seats), else a failed order. Returns the order's status afterwards.
pub async fn resolve_pending(
    state: &AppState,
    order: &StoredOrder,
) -> Result<OrderStatus, AppError> {
    let settled = void_or_find(state, order).await.map_err(|error| {
        tracing::warn!(%error, order = order.id, "cannot settle a pending payment yet");
        pending(state)
    })?;
    let status = match settled {
        Settled::Captured(charge) => {
            let status = orders::mark_paid(&state.db, order.id, &charge.id).await?;
            if matches!(status, OrderStatus::Failed) {
                refund(state, order, &charge).await?;
                return Ok(OrderStatus::Refunded);
            }
            status
        }
        Settled::Voided => {
            orders::mark_failed(
                &state.db,
                order.id,
                "purchase lost; voided by the reconciler",
            )
            .await?
        }
    };
    faults::point("reconcile::after_resolve");
    if matches!(status, OrderStatus::Paid | OrderStatus::Fulfilled) {
        settle(state, &orders::find(&state.db, order.id).await?).await?;
    }
    Ok(status)
}

/// Step 4: the order is paid, so the seats are sold whatever happens now: Redis marks them
/// sold (dropping any hold on them), then the order is fulfilled. Idempotent.
pub async fn settle(state: &AppState, order: &StoredOrder) -> Result<(), AppError> {
    let sold: Vec<(i64, String)> = orders::seats_of(&state.db, order.id)
        .await?
        .into_iter()
        .map(|seat| (seat, order.session_id.clone()))
        .collect();
    state
        .holds
        .mark_sold(&state.db, order.showtime_id, &sold)
        .await?;
    faults::point("purchase::after_settle");
    if order.status == OrderStatus::Paid {
        orders::mark_fulfilled(&state.db, order.id).await?;
    }
    Ok(())
}

/// Gives a charge back and records it; a refund that fails is retried by the buyer's next
/// request or an operator, and logged loudly.
pub(super) async fn refund(
    state: &AppState,
    order: &StoredOrder,
    charge: &Charge,
) -> Result<(), AppError> {
    let started = Instant::now();
    let refunded = state.payments.refund(charge).await;
    let result = match &refunded {
        Ok(()) => "refunded",
        Err(error) => error.label(),
    };
    metrics::payment_call("refund", result, started.elapsed());
    if let Err(error) = refunded {
        tracing::error!(charge = charge.id, %error, "REFUND FAILED: needs manual attention");
        return Err(AppError::Internal);
    }
    orders::mark_refunded(&state.db, order.id, &charge.id).await?;
    Ok(())
}

/// The answer while a payment's outcome is unknown: ask again once it must be settled.
pub(super) fn pending(state: &AppState) -> AppError {
    AppError::PaymentPending {
        retry_after_ms: u64::try_from(state.settings.payment_stale.as_millis()).unwrap_or(u64::MAX),
    }
}
