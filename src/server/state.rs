//! The application state: one value, cloned cheaply into every request.
//!
//! Axum handlers extract it (or a part of it, through `FromRef`); pages and server functions
//! find it in the Leptos context, where `leptos_routes_with_context` puts it.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::{LeptosOptions, use_context};
use redis::aio::ConnectionManager;
use sqlx::PgPool;

use super::Settings;
use crate::app::error::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: PgPool,
    /// A multiplexed Redis connection that reconnects by itself.
    pub redis: ConnectionManager,
    pub settings: Arc<Settings>,
}

impl AppState {
    /// The state inside a server function or while rendering a page.
    pub fn current() -> Result<Self, AppError> {
        use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal
        })
    }
}
