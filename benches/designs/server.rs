//! The one HTTP front every design sits behind: the same axum router, the same JSON, the same
//! runtime, so that a difference in the figures is a difference in how seats are held.
//!
//! - `POST /hold_seats {"showtime_id", "seat_ids"}` → 200 `{"showtime_id", "seat_ids"}` with
//!   the seats held, or 409 `{"error": "seat_taken", "seats": [...]}`; all or nothing.
//! - `POST /release_seats`, same body → 200 with the seats released (409 if not the caller's).
//! - `POST /confirm`, same body → 200 with the seats now sold: the "sold" step of the flash sale.
//! - `GET /seat_map?showtime_id=` → `{"sold": [...], "held": [...]}` (unexpired holds only),
//!   the keys of Marquee's own `/api/seat_map`, so one buyer loop reads both.
//! - `GET /audit?showtime_id=` → `{"rows", "distinct"}`: sold rows and the distinct seats
//!   among them, straight from the design's store, for the oversold check.
//!
//! The visitor is the `x-session` header (set by the bench's client): no cookie parsing, the
//! cheapest identification, the same for every design.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// What a hold, a release or a confirmation came to.
pub enum Outcome {
    /// Done: the seats concerned.
    Done(Vec<i64>),
    /// Refused, nothing changed: the seats that are not free (or not the caller's).
    Taken(Vec<i64>),
    /// Could not get its turn in time (only the Redis-lock design says this): 503.
    Busy,
}

/// A way of holding seats. Each method is one request's worth of work; `prepare` runs once
/// per showtime before any load.
pub trait Design: Send + Sync + 'static {
    fn prepare(
        &self,
        showtime: i64,
        seats: &[i64],
    ) -> impl Future<Output = Result<(), Error>> + Send;
    fn hold(
        &self,
        showtime: i64,
        session: &str,
        seats: &[i64],
    ) -> impl Future<Output = Result<Outcome, Error>> + Send;
    fn release(
        &self,
        showtime: i64,
        session: &str,
        seats: &[i64],
    ) -> impl Future<Output = Result<Outcome, Error>> + Send;
    fn confirm(
        &self,
        showtime: i64,
        session: &str,
        seats: &[i64],
    ) -> impl Future<Output = Result<Outcome, Error>> + Send;
    /// Sold seats, and seats under an unexpired hold.
    fn seat_map(
        &self,
        showtime: i64,
    ) -> impl Future<Output = Result<(Vec<i64>, Vec<i64>), Error>> + Send;
    /// Sold rows and the distinct seats among them.
    fn audit(&self, showtime: i64) -> impl Future<Output = Result<(i64, i64), Error>> + Send;
}

#[derive(Deserialize)]
struct Seats {
    showtime_id: i64,
    seat_ids: Vec<i64>,
}

#[derive(Deserialize)]
struct Showtime {
    showtime_id: i64,
}

/// Serves `design` on a loopback port of its own; its base URL.
pub async fn serve<D: Design>(design: D) -> String {
    let router = axum::Router::new()
        .route("/hold_seats", post(hold::<D>))
        .route("/release_seats", post(release::<D>))
        .route("/confirm", post(confirm::<D>))
        .route("/seat_map", get(seat_map::<D>))
        .route("/audit", get(audit::<D>))
        .with_state(Arc::new(design));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

fn session(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("x-session")?.to_str().ok()?;
    (!value.is_empty()).then(|| value.to_string())
}

/// A store error is a 500, and the first few are printed (a design that fails under load
/// should say why, not just lose throughput).
fn internal(error: Error) -> Response {
    static SHOWN: AtomicUsize = AtomicUsize::new(0);
    if SHOWN.fetch_add(1, Ordering::Relaxed) < 5 {
        eprintln!("design error: {error}");
    }
    let body = json!({"error": "internal"});
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

fn answer(showtime: i64, outcome: Result<Outcome, Error>) -> Response {
    match outcome {
        Ok(Outcome::Done(seats)) => {
            Json(json!({"showtime_id": showtime, "seat_ids": seats})).into_response()
        }
        Ok(Outcome::Taken(seats)) => {
            let body = json!({"error": "seat_taken", "seats": seats});
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
        Ok(Outcome::Busy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "busy"})),
        )
            .into_response(),
        Err(error) => internal(error),
    }
}

fn no_session() -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "no x-session"})),
    )
        .into_response()
}

async fn hold<D: Design>(
    State(design): State<Arc<D>>,
    headers: HeaderMap,
    Json(body): Json<Seats>,
) -> Response {
    let Some(session) = session(&headers) else {
        return no_session();
    };
    let outcome = design
        .hold(body.showtime_id, &session, &body.seat_ids)
        .await;
    answer(body.showtime_id, outcome)
}

async fn release<D: Design>(
    State(design): State<Arc<D>>,
    headers: HeaderMap,
    Json(body): Json<Seats>,
) -> Response {
    let Some(session) = session(&headers) else {
        return no_session();
    };
    let outcome = design
        .release(body.showtime_id, &session, &body.seat_ids)
        .await;
    answer(body.showtime_id, outcome)
}

async fn confirm<D: Design>(
    State(design): State<Arc<D>>,
    headers: HeaderMap,
    Json(body): Json<Seats>,
) -> Response {
    let Some(session) = session(&headers) else {
        return no_session();
    };
    let outcome = design
        .confirm(body.showtime_id, &session, &body.seat_ids)
        .await;
    answer(body.showtime_id, outcome)
}

async fn seat_map<D: Design>(
    State(design): State<Arc<D>>,
    Query(query): Query<Showtime>,
) -> Response {
    match design.seat_map(query.showtime_id).await {
        Ok((sold, held)) => Json(json!({"sold": sold, "held": held})).into_response(),
        Err(error) => internal(error),
    }
}

async fn audit<D: Design>(State(design): State<Arc<D>>, Query(query): Query<Showtime>) -> Response {
    match design.audit(query.showtime_id).await {
        Ok((rows, distinct)) => Json(json!({"rows": rows, "distinct": distinct})).into_response(),
        Err(error) => internal(error),
    }
}

/// `asked` without `got`: the seats a refused request names.
pub fn missing(asked: &[i64], got: &[i64]) -> Vec<i64> {
    asked.iter().copied().filter(|s| !got.contains(s)).collect()
}

/// Seat ids sorted and without repeats: every design takes its row locks in one order (as
/// Revel sorts by seat key), so two overlapping requests wait for each other instead of
/// deadlocking.
pub fn sorted(seats: &[i64]) -> Vec<i64> {
    let mut seats = seats.to_vec();
    seats.sort_unstable();
    seats.dedup();
    seats
}
