//! Payment, behind a trait so a real processor can be plugged in.
//!
//! The shipped [`TestGateway`] is a complete gateway for development and tests, in the manner
//! of a card processor's test mode: it approves every Luhn-valid card except the documented
//! decline number [`DECLINE_CARD`], and keeps no card data.

use std::future::Future;
use std::pin::Pin;

use rand::RngCore;

use crate::app::booking::CardNumber;

/// Always declined by the test gateway.
pub const DECLINE_CARD: &str = "4000000000000002";

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug)]
pub struct ChargeRequest<'a> {
    pub amount_cents: i64,
    pub card: &'a CardNumber,
    /// Passed on so the processor can deduplicate retries too.
    pub idempotency_key: &'a str,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub id: String,
    pub amount_cents: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("declined: {0}")]
    Declined(String),
    #[error("payment processor unavailable: {0}")]
    Unavailable(String),
}

pub trait PaymentGateway: Send + Sync + 'static {
    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
    ) -> BoxFuture<'a, Result<Charge, PaymentError>>;
    /// Gives the money back, e.g. when the seats turned out to be sold after payment.
    fn refund<'a>(&'a self, charge: &'a Charge) -> BoxFuture<'a, Result<(), PaymentError>>;
}

#[derive(Debug, Default)]
pub struct TestGateway;

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
            let mut bytes = [0u8; 12];
            rand::rng().fill_bytes(&mut bytes);
            let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            tracing::info!(
                amount_cents = request.amount_cents,
                card = ?request.card,
                key = request.idempotency_key,
                "test gateway charge approved"
            );
            Ok(Charge {
                id: format!("test_ch_{id}"),
                amount_cents: request.amount_cents,
            })
        })
    }

    fn refund<'a>(&'a self, charge: &'a Charge) -> BoxFuture<'a, Result<(), PaymentError>> {
        Box::pin(async move {
            tracing::info!(charge = charge.id, "test gateway refund");
            Ok(())
        })
    }
}
