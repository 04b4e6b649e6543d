//! Booking on the showtime page: the seat map, holds and their countdown, checkout, the
//! waiting line, and the shared booking types and server functions.

mod announce;
mod api;
mod attempt;
mod best_available;
mod checkout;
pub mod forms;
mod hold_timer;
mod input;
mod keyboard;
mod legend;
mod line_panel;
mod live;
mod model;
mod seat_map;
pub mod seating;
mod state;
mod summary;
mod zoom;

pub use api::{
    decline_offer, extend_hold, hold_best, hold_seats, join_line, leave_line, line_place,
    my_orders, order, purchase, release_all, release_seats, seat_map, verify_ticket,
};
// The request types `#[server]` generates for each function above (for calling one by type).
pub use announce::Announcer;
pub use api::{
    DeclineOffer, ExtendHold, HoldBest, HoldSeats, JoinLine, LeaveLine, LinePlaceQuery, MyOrders,
    Order, Purchase, ReleaseAll, ReleaseSeats, SeatMapQuery, VerifyTicket,
};
pub use best_available::{BestAvailable, describe_best};
pub use checkout::{CheckoutForm, sentence};
pub use hold_timer::HoldTimer;
pub use input::{BuyerName, CardNumber, Email, IdempotencyKey, seat_selection};
pub use legend::Legend;
pub use line_panel::LinePanel;
pub use live::{
    CLOSE_SHOWTIME_OVER, CLOSE_UNKNOWN_SHOWTIME, ClientMessage, LiveIndicator, LiveStatus,
    SeatChange, ServerMessage, apply_message, connect_live,
};
pub use model::{
    Arrangement, BestHold, HoldStatus, LinePlace, OrderSeat, OrderSummary, OrderView,
    PurchaseRequest, SeatMapState, SeatState, TicketCheck,
};
pub use seat_map::SeatMap;
pub use state::{BookingState, Notice};
pub use summary::SelectionSummary;
