//! Server functions of the catalog: the read side of the `/api/` contract (docs/api.md).
//!
//! Each body is one call into `crate::server`, which only exists in the server build.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use super::{MovieCard, ShowtimeDetail};
use crate::app::error::AppError;

/// Every movie with its showtimes of the next seven days.
#[server(prefix = "/api", endpoint = "now_showing", input = GetUrl)]
pub async fn now_showing() -> Result<Vec<MovieCard>, AppError> {
    crate::server::catalog::now_showing().await
}

/// One movie with its upcoming showtimes.
#[server(prefix = "/api", endpoint = "movie", input = GetUrl)]
pub async fn movie(id: i64) -> Result<MovieCard, AppError> {
    crate::server::catalog::movie(id).await
}

/// A showtime with its prices and the full seat layout of its auditorium.
#[server(prefix = "/api", endpoint = "showtime", input = GetUrl)]
pub async fn showtime(id: i64) -> Result<ShowtimeDetail, AppError> {
    crate::server::catalog::showtime(id).await
}
