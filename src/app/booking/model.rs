//! Booking data shared by the server and the browser.

use serde::{Deserialize, Serialize};

/// A seat's state as one viewer sees it (`data-state` in the seat map).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeatState {
    Available,
    /// Held by this viewer's session.
    Mine,
    /// Held by someone else.
    Held,
    Sold,
}

impl SeatState {
    pub fn as_str(self) -> &'static str {
        match self {
            SeatState::Available => "available",
            SeatState::Mine => "mine",
            SeatState::Held => "held",
            SeatState::Sold => "sold",
        }
    }
}

/// Every seat's state for one viewer, as of `version`. Seats not listed are available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatMapState {
    pub showtime_id: i64,
    pub version: u64,
    pub sold: Vec<i64>,
    /// Held by other people.
    pub held: Vec<i64>,
    /// This viewer's hold, if any.
    pub hold: Option<HoldStatus>,
    /// The hold is seats the waiting line offered this viewer ("your seats are ready").
    #[serde(default)]
    pub offer: bool,
    /// This viewer's place in the waiting line, if they are in it.
    #[serde(default)]
    pub line: Option<LinePlace>,
    /// The most seats one person may hold, which is also the largest party in line.
    pub max_seats: u32,
}

/// One person's place in a showtime's waiting line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePlace {
    pub showtime_id: i64,
    /// 1 is the head of the line.
    pub position: u32,
    /// Seats wanted (offers are made for exactly this many).
    pub party: u32,
}

/// One session's hold on seats of one showtime (no seats: no hold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldStatus {
    pub showtime_id: i64,
    pub seat_ids: Vec<i64>,
    /// Milliseconds left when the server answered (relative, so client clocks do not matter).
    pub expires_in_ms: i64,
    pub extensions_left: u32,
    /// The showtime version after this change.
    pub version: u64,
}

/// How the seats "best available" chose sit together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrangement {
    /// Side by side in one row.
    Together,
    /// In two neighbouring rows, one block behind the other (no row had room for all).
    Split,
    /// Wherever the best free seats were (not even two rows had room).
    Scattered,
}

/// The answer to "best available": the hold made, and how its seats sit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BestHold {
    pub hold: HoldStatus,
    pub arrangement: Arrangement,
    /// The seats' names ("H7"), in layout order.
    pub seats: Vec<String>,
    /// Single free seats the choice leaves alone (between it and a taken seat, an aisle or
    /// a wall): only when every choice would have.
    pub stranded: Vec<String>,
}

/// What checkout sends. The seats must be exactly the seats of the buyer's hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseRequest {
    pub showtime_id: i64,
    pub seat_ids: Vec<i64>,
    pub name: String,
    pub email: String,
    pub card_number: String,
    /// Chosen by the client once per checkout attempt; a retry with the same key returns the
    /// same order instead of charging twice.
    pub idempotency_key: String,
}

/// A confirmed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub code: String,
    pub showtime_id: i64,
    pub movie_title: String,
    pub starts_at: String,
    pub auditorium: String,
    pub theater: String,
    pub seats: Vec<OrderSeat>,
    pub total_cents: i64,
    pub buyer_name: String,
    pub buyer_email: String,
    /// Empty for an order paid in cash at the box office.
    pub card_last4: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSeat {
    pub seat_id: i64,
    /// "C7"
    pub name: String,
    pub kind: crate::app::catalog::SeatKind,
    pub price_cents: i64,
    /// The ticket's signed token (its QR code): `t1.<ticket id>.<signature>`.
    #[serde(default)]
    pub ticket: String,
}

/// What a ticket token vouches for (`GET /api/tickets/verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketCheck {
    /// The ticket is genuine and its order paid: it admits.
    pub valid: bool,
    /// `valid`, or the order's state when it does not admit (`refunded`, `failed`, …).
    pub status: String,
    pub order_code: String,
    pub showtime_id: i64,
    pub movie_title: String,
    pub starts_at: String,
    pub auditorium: String,
    /// "C7"
    pub seat: String,
}

/// One of this browser's orders ("My bookings").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub code: String,
    pub movie_title: String,
    pub starts_at: String,
    pub seats: Vec<String>,
    pub total_cents: i64,
}
