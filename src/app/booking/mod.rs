//! Booking on the showtime page: the seat map, its legend and the selection summary.

mod legend;
mod seat_map;
mod summary;

pub use legend::Legend;
pub use seat_map::SeatMap;
pub use summary::SelectionSummary;
