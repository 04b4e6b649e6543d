//! Server functions of booking: holds, checkout and orders (the `/api/` contract in
//! docs/api.md). Mutations take JSON bodies over POST; reads are GET with query parameters.
//! Every body is one call into `crate::server::booking`, which checks the caller's session.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

use super::model::{
    BestHold, HoldStatus, LinePlace, OrderSummary, OrderView, PurchaseRequest, SeatMapState,
    TicketCheck,
};
use crate::app::error::AppError;

/// Every seat's state for the calling session, with the showtime's version.
#[server(name = SeatMapQuery, prefix = "/api", endpoint = "seat_map", input = GetUrl)]
pub async fn seat_map(showtime_id: i64) -> Result<SeatMapState, AppError> {
    crate::server::booking::seat_map(showtime_id).await
}

/// Holds seats, all or nothing. Seats already held by the caller keep their expiry.
#[server(prefix = "/api", endpoint = "hold_seats", input = Json)]
pub async fn hold_seats(showtime_id: i64, seat_ids: Vec<i64>) -> Result<HoldStatus, AppError> {
    crate::server::booking::hold_seats(showtime_id, seat_ids).await
}

/// Holds the best `count` free seats (of `kind`, if given): side by side in one row near
/// the sweet spot if possible, else split over two rows, else anywhere (the answer says
/// which). One all-or-nothing hold; refused while the caller already holds seats.
#[server(prefix = "/api", endpoint = "hold_best", input = Json)]
pub async fn hold_best(
    showtime_id: i64,
    count: u32,
    #[server(default)] kind: Option<crate::app::catalog::SeatKind>,
) -> Result<BestHold, AppError> {
    crate::server::booking::best::hold_best(showtime_id, count, kind).await
}

/// Releases some of the caller's held seats. Seats held by others are refused. Answers with
/// what is still held (possibly nothing) and the version after the change.
#[server(prefix = "/api", endpoint = "release_seats", input = Json)]
pub async fn release_seats(showtime_id: i64, seat_ids: Vec<i64>) -> Result<HoldStatus, AppError> {
    crate::server::booking::release_seats(showtime_id, Some(seat_ids)).await
}

/// Releases every seat the caller holds for a showtime.
#[server(prefix = "/api", endpoint = "release_all", input = Json)]
pub async fn release_all(showtime_id: i64) -> Result<HoldStatus, AppError> {
    crate::server::booking::release_seats(showtime_id, None).await
}

/// Adds time to the caller's hold, a limited number of times.
#[server(prefix = "/api", endpoint = "extend_hold", input = Json)]
pub async fn extend_hold(showtime_id: i64) -> Result<HoldStatus, AppError> {
    crate::server::booking::extend_hold(showtime_id).await
}

/// Joins the showtime's waiting line for `party` seats (only while fewer seats are free).
#[server(prefix = "/api", endpoint = "line/join", input = Json)]
pub async fn join_line(showtime_id: i64, party: u32) -> Result<LinePlace, AppError> {
    crate::server::booking::join_line(showtime_id, party).await
}

/// Leaves the showtime's waiting line; harmless when not in it.
#[server(prefix = "/api", endpoint = "line/leave", input = Json)]
pub async fn leave_line(showtime_id: i64) -> Result<(), AppError> {
    crate::server::booking::leave_line(showtime_id).await
}

/// The caller's place in the showtime's waiting line (`null` when not in it).
#[server(name = LinePlaceQuery, prefix = "/api", endpoint = "line/place", input = GetUrl)]
pub async fn line_place(showtime_id: i64) -> Result<Option<LinePlace>, AppError> {
    crate::server::booking::line_place(showtime_id).await
}

/// Declines the seats the waiting line offered the caller; they pass to the next in line.
#[server(prefix = "/api", endpoint = "line/decline", input = Json)]
pub async fn decline_offer(showtime_id: i64) -> Result<HoldStatus, AppError> {
    crate::server::booking::decline_offer(showtime_id).await
}

/// Pays for the caller's held seats and turns them into tickets.
#[server(prefix = "/api", endpoint = "purchase", input = Json)]
pub async fn purchase(request: PurchaseRequest) -> Result<OrderView, AppError> {
    crate::server::booking::purchase(request).await
}

/// An order by its confirmation code.
#[server(prefix = "/api", endpoint = "order", input = GetUrl)]
pub async fn order(code: String) -> Result<OrderView, AppError> {
    crate::server::booking::order(code).await
}

/// What a ticket's token (its QR code) vouches for: the showing and seat, and whether it
/// admits. `404` for a token that is not genuine (forged, altered, or of no ticket).
#[server(prefix = "/api", endpoint = "tickets/verify", input = GetUrl)]
pub async fn verify_ticket(token: String) -> Result<TicketCheck, AppError> {
    crate::server::booking::verify_ticket(token).await
}

/// This browser's paid orders, newest first ("My bookings").
#[server(prefix = "/api", endpoint = "my_orders", input = GetUrl)]
pub async fn my_orders() -> Result<Vec<OrderSummary>, AppError> {
    crate::server::booking::my_orders().await
}
