//! Marquee: real-time seat booking for cinemas.
//!
//! One crate, compiled twice: with `ssr` it is the server (axum + Leptos server rendering,
//! Postgres, Redis); with `hydrate` it is the WASM bundle that takes over the server-rendered
//! page in the browser.
//!
//! # Layout
//!
//! - [`app`]: everything the browser runs and the server renders: the shell and routes,
//!   pages, components, the shared domain types and the server-function declarations
//!   (the `/api/` contract, see `docs/api.md`).
//!   - `app::catalog`: movies, showtimes and seat layouts as the pages see them.
//!   - `app::booking`: the seat map, holds and their countdown, checkout, the booking
//!     types, input validation and the booking server functions.
//!   - `app::pages`: one file per page.
//!   - `app::error`: the one error type shared by server and browser.
//! - `server` (feature `ssr` only): configuration, application state, sessions, the
//!   Postgres repositories, the demo catalog, the Redis hold engine and its Lua scripts
//!   (`server::booking`), checkout and payment, health checks, the router and process
//!   lifecycle.
//! - `src/main.rs`: the server binary; it only calls [`server::run`](crate::server).
//! - `migrations/`: the schema, one commented SQL file per step.
//! - `tests/`: integration tests against real Postgres and Redis; `end2end/`: Playwright.

// Leptos views are statically typed trees; release builds (which, unlike debug builds, do not
// erase component types) exceed the default limit of 128 when computing their layouts.
#![recursion_limit = "256"]

pub mod app;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: attach Leptos to the server-rendered DOM.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
