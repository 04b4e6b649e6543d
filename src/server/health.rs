//! `GET /healthz`: can this instance reach Postgres and Redis right now, and is it staying?
//!
//! Load balancers take an instance out of rotation on a 503, so each check has a short
//! timeout: a hung dependency must produce a quick "down", not a hung health check. An
//! instance told to stop first *drains* (see `startup`): it keeps serving, but answers 503
//! here so that the balancer sends it nothing new before its listener closes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub postgres: &'static str,
    pub redis: &'static str,
}

/// Whether this instance is draining. One flag shared by every clone of the state; it is
/// only ever switched on, since a draining instance is on its way out.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    // Before the dependency checks: a draining instance leaves rotation whatever they say.
    if state.draining.is_on() {
        let body = Json(serde_json::json!({ "status": "draining" }));
        return (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    }
    let (postgres, redis) = tokio::join!(postgres_ok(&state), redis_ok(&state));
    let label = |ok: bool| if ok { "up" } else { "down" };
    let healthy = postgres && redis;
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status: if healthy { "ok" } else { "unavailable" },
        postgres: label(postgres),
        redis: label(redis),
    };
    (status, Json(body)).into_response()
}

async fn postgres_ok(state: &AppState) -> bool {
    let check = sqlx::query("SELECT 1").execute(&state.db);
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(_)) => true,
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "health: postgres unreachable");
            false
        }
        Err(_) => {
            tracing::warn!("health: postgres check timed out");
            false
        }
    }
}

async fn redis_ok(state: &AppState) -> bool {
    let mut redis = state.redis.clone();
    let ping = redis::cmd("PING");
    let check = ping.query_async::<String>(&mut redis);
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(pong)) => pong == "PONG",
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "health: redis unreachable");
            false
        }
        Err(_) => {
            tracing::warn!("health: redis check timed out");
            false
        }
    }
}
