//! One page per file.

mod bookings;
mod error_panel;
mod home;
mod movie;
mod movie_card;
mod not_found;
mod order;
mod showtime;

pub use bookings::BookingsPage;
pub use error_panel::ErrorPanel;
pub use home::HomePage;
pub use movie::MoviePage;
pub use movie_card::MovieCardView;
pub use not_found::NotFound;
pub use order::OrderPage;
pub use showtime::ShowtimePage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The numeric `:id` of the current route, or `None` when it is missing or not a number
/// (which the pages treat like an unknown id: a 404, not a 500).
pub(crate) fn id_param() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    }
}
