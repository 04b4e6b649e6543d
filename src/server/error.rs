//! Infrastructure errors become `AppError::Internal` here, and only here.
//!
//! The cause is logged with enough context to debug; the caller gets an opaque error. Domain
//! outcomes (not found, bad input) are never produced by these conversions: the code that
//! knows the domain returns them explicitly.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::telemetry::metrics;
use crate::app::error::AppError;

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        metrics::postgres_error(&error);
        tracing::error!(error = %error, "database error");
        AppError::Internal
    }
}

impl From<redis::RedisError> for AppError {
    fn from(error: redis::RedisError) -> Self {
        metrics::redis_error(&error);
        tracing::error!(error = %error, "redis error");
        AppError::Internal
    }
}

impl AppError {
    /// The error's code on the wire (the `error` field of its JSON body, docs/api.md): a
    /// closed set, hence also the `outcome` label of metrics. No `_` arm: a new variant gets
    /// its code here.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { .. } => "not_found",
            AppError::BadInput { .. } => "bad_input",
            AppError::SeatTaken { .. } => "seat_taken",
            AppError::HoldExpired { .. } => "hold_expired",
            AppError::NotYourHold { .. } => "not_your_hold",
            AppError::TooManySeats { .. } => "too_many_seats",
            AppError::ClientLimit { .. } => "client_limit",
            AppError::ExtendLimit { .. } => "extend_limit",
            AppError::InLine => "in_line",
            AppError::AlreadyInLine { .. } => "already_in_line",
            AppError::HoldingSeats => "holding_seats",
            AppError::NotEnoughSeats { .. } => "not_enough_seats",
            AppError::CompanionNeedsWheelchair { .. } => "companion_needs_wheelchair",
            AppError::SeatsAvailable { .. } => "seats_available",
            AppError::LineFull { .. } => "line_full",
            AppError::ShowtimeStarted => "showtime_started",
            AppError::ShowtimeCancelled => "showtime_cancelled",
            AppError::PaymentDeclined { .. } => "payment_declined",
            AppError::IdempotencyMismatch => "idempotency_mismatch",
            AppError::PurchaseInProgress => "purchase_in_progress",
            AppError::PaymentPending { .. } => "payment_pending",
            AppError::TooLarge { .. } => "too_large",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Forbidden => "forbidden",
            AppError::NotAdmitted { .. } => "not_admitted",
            AppError::QueueNotOpen { .. } => "queue_not_open",
            AppError::AddressInQueue => "address_in_queue",
            AppError::QueuePlaceUsed => "queue_place_used",
            AppError::SignInRequired => "sign_in_required",
            AppError::NotPermitted => "not_permitted",
            AppError::BadCredentials => "bad_credentials",
            AppError::AccountLocked { .. } => "account_locked",
            AppError::Conflict { .. } => "conflict",
            AppError::Internal => "internal",
            AppError::Transport { .. } => "transport",
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// Plain axum handlers (outside server functions) answer with the same JSON error body.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), axum::Json(&self)).into_response();
        self.add_headers(response.headers_mut());
        response
    }
}

impl AppError {
    /// Headers the error calls for: `Retry-After` (whole seconds, rounded up) on a refusal
    /// for going too fast, and on a payment whose outcome is not known yet.
    fn add_headers(&self, headers: &mut axum::http::HeaderMap) {
        if let AppError::RateLimited { retry_after_ms }
        | AppError::PaymentPending { retry_after_ms }
        | AppError::AccountLocked { retry_after_ms } = self
        {
            let secs = retry_after_ms.div_ceil(1000).max(1);
            headers.insert(axum::http::header::RETRY_AFTER, secs.into());
        }
    }
}

/// Gives server-function errors their proper HTTP status.
///
/// Leptos answers every failed server function with 500 and the encoded `AppError` as the
/// body. Clients of the `/api/` contract deserve better ("not found" is a 404, bad input a
/// 400), so this middleware decodes the body of a 500 from `/api/` and sets the status the
/// error calls for. Leptos' own client decodes any 4xx/5xx body, so hydrated pages are
/// unaffected.
pub async fn api_error_status(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are small JSON documents; anything larger is not ours and stays a 500.
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
        error.add_headers(&mut parts.headers);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_errors_code_is_the_tag_of_its_json_body() {
        for error in [
            AppError::not_found("showtime 1"),
            AppError::bad_input("no"),
            AppError::SeatTaken { seats: vec![] },
            AppError::NotYourHold { seats: vec![] },
            AppError::SeatsAvailable { available: 1 },
            AppError::ShowtimeStarted,
            AppError::PaymentDeclined {
                message: "x".into(),
            },
            AppError::IdempotencyMismatch,
            AppError::PaymentPending { retry_after_ms: 1 },
            AppError::RateLimited { retry_after_ms: 1 },
            AppError::Internal,
        ] {
            let body = serde_json::to_value(&error).unwrap();
            assert_eq!(body["error"], error.code(), "{error:?}");
        }
    }
}
