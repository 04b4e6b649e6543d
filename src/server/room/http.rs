//! `/api/on_sales/{id}…`: the waiting room's JSON API (`docs/api.md`, "On-sales"), and the
//! routes of its page without JavaScript ([`super::page`]).

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use super::{OnSale, token};
use crate::app::error::AppError;
use crate::app::room::{QueueState, QueueStatus};
use crate::server::AppState;
use crate::server::client::ClientIp;
use crate::server::limits::{Asker, Budget};
use crate::server::session::SessionId;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/on_sales/{id}", get(info))
        .route("/api/on_sales/{id}/draw", get(draw))
        .route("/api/on_sales/{id}/join", post(join))
        .route("/api/on_sales/{id}/me", get(me))
        .route("/api/on_sales/{id}/leave", post(leave))
        .route("/on_sales/{id}", get(super::page::show))
        .route("/on_sales/{id}/join", post(super::page::join))
        .route("/on_sales/{id}/leave", post(super::page::leave))
}

/// The on-sale of a path's `{id}` (a malformed id is as unknown as a missing one).
pub(super) async fn on_sale(
    state: &AppState,
    id: &str,
) -> Result<std::sync::Arc<OnSale>, AppError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found("on-sale"))?;
    state.room.on_sale(&state.db, id).await
}

async fn info(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let on_sale = on_sale(&state, &id).await?;
    Ok(Json(state.room.info(&on_sale).await?).into_response())
}

async fn draw(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let on_sale = on_sale(&state, &id).await?;
    Ok(Json(state.room.draw(&on_sale).await?).into_response())
}

/// Takes a place for the caller's session (`QueueStatus`); joining again answers the place
/// it has.
pub(super) async fn take_place(
    state: &AppState,
    on_sale: &OnSale,
    session: &SessionId,
    client: ClientIp,
) -> Result<QueueStatus, AppError> {
    let asker = Asker {
        client,
        session: Some(session),
    };
    state.limiter.spend(Budget::LineJoins, asker).await?;
    state
        .room
        .join(on_sale, session.as_str(), &client.bucket())
        .await
}

async fn join(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(session): Extension<SessionId>,
    Extension(client): Extension<ClientIp>,
) -> Result<Response, AppError> {
    let on_sale = on_sale(&state, &id).await?;
    let status = take_place(&state, &on_sale, &session, client).await?;
    personal(&state, &session, status).await
}

async fn me(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(session): Extension<SessionId>,
) -> Result<Response, AppError> {
    let on_sale = on_sale(&state, &id).await?;
    let status = state.room.status(&on_sale, session.as_str()).await?;
    personal(&state, &session, status).await
}

async fn leave(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(session): Extension<SessionId>,
) -> Result<Response, AppError> {
    let on_sale = on_sale(&state, &id).await?;
    let status = state.room.leave(&on_sale, session.as_str()).await?;
    personal(&state, &session, status).await
}

/// A status for its session only: never cached, and carrying the admission cookie once
/// admitted.
async fn personal(
    state: &AppState,
    session: &SessionId,
    status: QueueStatus,
) -> Result<Response, AppError> {
    let cookie = admission_cookie(state, session, &status).await?;
    let mut response = Json(status).into_response();
    with_admission(&mut response, cookie);
    Ok(response)
}

/// The `Set-Cookie` of an admitted person's token.
pub(super) async fn admission_cookie(
    state: &AppState,
    session: &SessionId,
    status: &QueueStatus,
) -> Result<Option<String>, AppError> {
    let (QueueState::Admitted, Some(entry), Some(left_ms)) = (
        status.state,
        status.entry.as_deref(),
        status.admission_ends_in_ms,
    ) else {
        return Ok(None);
    };
    let key = state.tickets.key(&state.db).await?;
    let until_ms = chrono::Utc::now().timestamp_millis() + left_ms as i64;
    let value = token::sign(&key, status.on_sale, session.as_str(), entry, until_ms);
    Ok(Some(token::set_cookie(
        status.on_sale,
        value,
        (left_ms / 1000) as i64,
        state.settings.cookie_secure,
    )))
}

pub(super) fn with_admission(response: &mut Response, cookie: Option<String>) {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}
