//! Every HTTP request counted by route, method and status, and timed (to its response head).
//!
//! The route is the pattern the router matched (`/api/hold_seats`, `/movies/{id}`,
//! `/ws/showtimes/{id}`), never the path itself, so ids and made-up URLs cannot grow the
//! number of series; requests no route matched (static files, the not-found page) are
//! `static` (under `/pkg/`) or `other`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use super::metrics;

pub async fn middleware(request: Request, next: Next) -> Response {
    let route = route(&request);
    let method = method(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics::http_request(route, method, response.status().as_u16(), started.elapsed());
    response
}

fn route(request: &Request) -> String {
    match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None if request.uri().path().starts_with("/pkg/") => "static".to_owned(),
        None => "other".to_owned(),
    }
}

fn method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
