//! Booking on the showtime page: the seat map, holds and their countdown, checkout, the
//! waiting line, and the shared booking types and server functions.

mod api;
mod checkout;
mod hold_timer;
mod input;
mod legend;
mod live;
mod model;
mod seat_map;
mod state;
mod summary;
mod waiting_line;

pub use api::*;
pub use checkout::CheckoutForm;
pub use hold_timer::HoldTimer;
pub use input::*;
pub use legend::Legend;
pub use live::{
    CLOSE_UNKNOWN_SHOWTIME, ClientMessage, LiveIndicator, LiveStatus, SeatChange, ServerMessage,
    apply_message, connect_live,
};
pub use model::*;
pub use seat_map::SeatMap;
pub use state::BookingState;
pub use summary::SelectionSummary;
pub use waiting_line::WaitingLine;
