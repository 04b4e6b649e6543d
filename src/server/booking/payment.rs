//! Payment, behind a trait so a real processor can be plugged in.
//!
//! The contract is the one card processors offer (Stripe's idempotency keys and cancellable
//! payment intents, for example), reduced to what a purchase needs:
//! - [`charge`](PaymentGateway::charge) is idempotent per key: the same key never captures
//!   twice and answers the charge it captured; a key that was voided can no longer capture.
//! - [`void_or_find`](PaymentGateway::void_or_find) settles a charge whose answer was lost
//!   (a timeout, a crash): atomically, either the key had captured (its charge is returned)
//!   or it is voided for good, so a late request under it cannot take money afterwards.
//! - [`refund`](PaymentGateway::refund) is idempotent per charge.
//!
//! Purchases derive the key on the server, one per attempt (see `orders::payment_key`); the
//! client's own key never reaches the processor.
//!
//! The shipped [`TestGateway`] is a complete gateway for development and tests, in the manner
//! of a card processor's test mode: it approves every Luhn-valid card except the documented
//! decline number [`DECLINE_CARD`], keeps no card data, and records every capture, refund and
//! void in its own ledger (`test_gateway_charges`), which outlives the app process the way a
//! processor's records do, so fault-injection tests can check money against orders.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::PgPool;

use crate::app::booking::CardNumber;

/// Always declined by the test gateway.
pub const DECLINE_CARD: &str = "4000000000000002";

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug)]
pub struct ChargeRequest<'a> {
    pub amount_cents: i64,
    pub card: &'a CardNumber,
    /// The server-derived key of this payment attempt (one per order).
    pub idempotency_key: &'a str,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub id: String,
    pub amount_cents: i64,
}

/// What a key came to, once settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The key captured this charge (it may since have been refunded).
    Captured(Charge),
    /// Nothing was captured under the key, and nothing ever will be.
    Voided,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("declined: {0}")]
    Declined(String),
    /// The processor could not be reached or failed; whether a charge happened is unknown.
    #[error("payment processor unavailable: {0}")]
    Unavailable(String),
}

impl PaymentError {
    /// The `result` label of `marquee_payment_calls_total`.
    pub fn label(&self) -> &'static str {
        match self {
            PaymentError::Declined(_) => "declined",
            PaymentError::Unavailable(_) => "unavailable",
        }
    }
}

pub trait PaymentGateway: Send + Sync + 'static {
    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
    ) -> BoxFuture<'a, Result<Charge, PaymentError>>;
    /// Settles the key: its capture if it had one, else voids it.
    fn void_or_find<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Settled, PaymentError>>;
    /// Gives the money back.
    fn refund<'a>(&'a self, charge: &'a Charge) -> BoxFuture<'a, Result<(), PaymentError>>;
}

/// The test-mode processor, with its ledger in Postgres.
#[derive(Debug, Clone)]
pub struct TestGateway {
    ledger: PgPool,
    /// How long it takes to answer after capturing (`TEST_GATEWAY_DELAY_MS`): a processor on a
    /// bad day, for tests of timeouts and crashes.
    delay: Duration,
}

impl TestGateway {
    pub fn new(ledger: PgPool, delay: Duration) -> Self {
        Self { ledger, delay }
    }

    async fn capture(&self, request: &ChargeRequest<'_>) -> Result<Charge, PaymentError> {
        let id = format!("test_ch_{}", crate::server::session::random_token());
        sqlx::query(
            "INSERT INTO test_gateway_charges (idempotency_key, charge_id, amount_cents, status)
             VALUES ($1, $2, $3, 'captured') ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(request.idempotency_key)
        .bind(&id)
        .bind(request.amount_cents)
        .execute(&self.ledger)
        .await
        .map_err(unavailable)?;
        // Whoever captured first under the key, this request or an earlier one, is the answer.
        match self.recorded(request.idempotency_key).await? {
            Some(Settled::Captured(charge)) if charge.amount_cents == request.amount_cents => {
                Ok(charge)
            }
            Some(Settled::Captured(_)) => Err(PaymentError::Declined(
                "this payment key was used for another amount".into(),
            )),
            Some(Settled::Voided) => {
                Err(PaymentError::Declined("this payment was cancelled".into()))
            }
            None => Err(PaymentError::Unavailable("ledger lost a charge".into())),
        }
    }

    async fn recorded(&self, key: &str) -> Result<Option<Settled>, PaymentError> {
        let row: Option<(Option<String>, i64)> = sqlx::query_as(
            "SELECT charge_id, amount_cents FROM test_gateway_charges WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.ledger)
        .await
        .map_err(unavailable)?;
        Ok(row.map(|(charge, amount_cents)| match charge {
            Some(id) => Settled::Captured(Charge { id, amount_cents }),
            None => Settled::Voided,
        }))
    }
}

fn unavailable(error: sqlx::Error) -> PaymentError {
    PaymentError::Unavailable(error.to_string())
}

impl PaymentGateway for TestGateway {
    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
    ) -> BoxFuture<'a, Result<Charge, PaymentError>> {
        Box::pin(async move {
            if request.card.digits() == DECLINE_CARD {
                return Err(PaymentError::Declined("the card was declined".into()));
            }
            if request.amount_cents < 0 {
                return Err(PaymentError::Declined("invalid amount".into()));
            }
            let charge = self.capture(&request).await?;
            tracing::info!(
                amount_cents = request.amount_cents,
                card = ?request.card,
                key = request.idempotency_key,
                charge = charge.id,
                "test gateway charge captured"
            );
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            Ok(charge)
        })
    }

    fn void_or_find<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Settled, PaymentError>> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO test_gateway_charges (idempotency_key, amount_cents, status)
                 VALUES ($1, 0, 'voided') ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(key)
            .execute(&self.ledger)
            .await
            .map_err(unavailable)?;
            let settled = self
                .recorded(key)
                .await?
                .ok_or_else(|| PaymentError::Unavailable("ledger lost a void".into()))?;
            tracing::info!(key, ?settled, "test gateway settled a payment key");
            Ok(settled)
        })
    }

    fn refund<'a>(&'a self, charge: &'a Charge) -> BoxFuture<'a, Result<(), PaymentError>> {
        Box::pin(async move {
            let refunded = sqlx::query(
                "UPDATE test_gateway_charges SET status = 'refunded', updated_at = now()
                  WHERE charge_id = $1 AND status IN ('captured', 'refunded')",
            )
            .bind(&charge.id)
            .execute(&self.ledger)
            .await
            .map_err(unavailable)?;
            if refunded.rows_affected() == 0 {
                return Err(PaymentError::Declined(format!(
                    "no charge {} to refund",
                    charge.id
                )));
            }
            tracing::info!(charge = charge.id, "test gateway refund");
            Ok(())
        })
    }
}
