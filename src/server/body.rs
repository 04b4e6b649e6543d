//! Request bodies: how large an `/api/` body may be, and how a request is refused without
//! leaving its client with a reset connection.
//!
//! Every server function takes a few small fields, so `/api/` bodies are capped at
//! [`API_BODY_LIMIT`]: a declared `Content-Length` over it is answered at once with
//! `413 too_large`, and a body that grows past it without declaring its length fails to
//! decode (`400 bad_input`, via axum's `DefaultBodyLimit`, which server functions honour).
//!
//! Answering before the body is read is not enough on its own: closing a socket with unread
//! bytes makes the kernel send a reset, and a client still writing its body may then lose the
//! answer. So a refusal reads (and discards) a bounded amount of the body first and says
//! `Connection: close`.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{CONNECTION, CONTENT_LENGTH};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::app::error::AppError;

/// The largest `/api/` request body (the biggest real one, a purchase, is under 1 KiB).
pub const API_BODY_LIMIT: usize = 16 * 1024;

/// A refused request's body is read up to this much, for at most [`DRAIN_TIMEOUT`], before
/// the connection is closed; a client sending more, or slower, may see a reset.
const DRAIN_LIMIT: usize = 1024 * 1024;
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// Refuses `/api/` requests that declare a body over [`API_BODY_LIMIT`].
pub async fn limit_api_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = declared.is_some_and(|len| len > API_BODY_LIMIT as u64);
    if too_large && request.uri().path().starts_with("/api/") {
        let max_bytes = API_BODY_LIMIT as u32;
        return refuse(request, AppError::TooLarge { max_bytes }).await;
    }
    next.run(request).await
}

/// Answers `request` with `error` after draining (a bounded part of) its body, and closes
/// the connection.
pub async fn refuse(request: Request, error: AppError) -> Response {
    drain(request.into_body()).await;
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn drain(body: Body) {
    let mut chunks = body.into_data_stream();
    let mut read = 0;
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(Ok(chunk)) = chunks.next().await {
            read += chunk.len();
            if read > DRAIN_LIMIT {
                break;
            }
        }
    })
    .await;
}
