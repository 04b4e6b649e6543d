//! The catalog as pages see it: movies, showtimes, prices and seat layouts.
//!
//! These are view models, shaped for rendering and serialised into the page for hydration.
//! Times arrive already formatted in the theater's local time zone, so the browser bundle
//! needs no time-zone database.

mod api;

pub use api::{movie, now_showing, showtime};
// The request types `#[server]` generates for each function above (for calling one by type).
pub use api::{Movie, NowShowing, Showtime};

use serde::{Deserialize, Serialize};

use crate::app::money::format_cents;

/// What a seat is, which decides its price and how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "seat_kind", rename_all = "lowercase")
)]
#[serde(rename_all = "lowercase")]
pub enum SeatKind {
    Standard,
    Premium,
    Wheelchair,
    Companion,
}

impl SeatKind {
    pub const ALL: [SeatKind; 4] = [
        SeatKind::Standard,
        SeatKind::Premium,
        SeatKind::Wheelchair,
        SeatKind::Companion,
    ];

    /// The machine name, as in the database and in CSS classes.
    pub fn as_str(self) -> &'static str {
        match self {
            SeatKind::Standard => "standard",
            SeatKind::Premium => "premium",
            SeatKind::Wheelchair => "wheelchair",
            SeatKind::Companion => "companion",
        }
    }

    /// The human name, as in the legend.
    pub fn label(self) -> &'static str {
        match self {
            SeatKind::Standard => "Standard",
            SeatKind::Premium => "Premium",
            SeatKind::Wheelchair => "Wheelchair space",
            SeatKind::Companion => "Companion seat",
        }
    }
}

/// A movie with its upcoming showtimes, grouped by day: one card on the home page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovieCard {
    pub id: i64,
    pub title: String,
    pub synopsis: String,
    pub runtime_minutes: i32,
    pub rating: String,
    pub poster_hue: i32,
    pub days: Vec<ShowtimeDay>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowtimeDay {
    /// e.g. "Wed 26 Nov".
    pub label: String,
    pub showtimes: Vec<ShowtimeLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowtimeLink {
    pub id: i64,
    /// Local start time, e.g. "19:30".
    pub time: String,
    pub auditorium: String,
}

/// Everything the showtime page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowtimeDetail {
    pub id: i64,
    pub movie_id: i64,
    pub movie_title: String,
    pub runtime_minutes: i32,
    pub rating: String,
    pub poster_hue: i32,
    pub theater: String,
    pub auditorium: String,
    /// Local start, e.g. "Wed 26 Nov, 19:30".
    pub starts_at: String,
    /// The theater sells companion seats only together with a wheelchair space.
    #[serde(default = "yes")]
    pub companion_needs_wheelchair: bool,
    /// The cinema cancelled it: it is shown, but sells nothing.
    #[serde(default)]
    pub cancelled: bool,
    /// It sells through an on-sale's waiting room (`/on_sales/<id>`): only people the room
    /// admitted may hold and buy its seats.
    #[serde(default)]
    pub on_sale_id: Option<i64>,
    pub prices: Vec<Price>,
    pub layout: SeatLayout,
}

fn yes() -> bool {
    true
}

impl ShowtimeDetail {
    /// Price of a seat kind in this showtime. Every kind has a price (the database enforces
    /// one row per kind when the showtime is created), so a missing one is a data error.
    pub fn price_of(&self, kind: SeatKind) -> Option<i64> {
        self.prices.iter().find(|p| p.kind == kind).map(|p| p.cents)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub kind: SeatKind,
    pub cents: i64,
}

/// An auditorium's seats on a grid; empty cells are aisles and gaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatLayout {
    pub grid_rows: i32,
    pub grid_cols: i32,
    /// Row labels by grid row, for the labels drawn at both ends of each row.
    pub rows: Vec<RowLabel>,
    pub seats: Vec<Seat>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowLabel {
    pub grid_row: i32,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Seat {
    pub id: i64,
    pub row_label: String,
    pub number: i32,
    pub grid_row: i32,
    pub grid_col: i32,
    pub kind: SeatKind,
}

impl Seat {
    /// The seat's accessible name, which is also the browser tests' handle on it:
    /// "Row C, seat 7, standard, $12.50".
    pub fn accessible_name(&self, price_cents: Option<i64>) -> String {
        let price = price_cents
            .map(format_cents)
            .unwrap_or_else(|| "price unavailable".into());
        format!(
            "Row {}, seat {}, {}, {}",
            self.row_label,
            self.number,
            self.kind.as_str(),
            price
        )
    }

    /// Short form for lists: "C7".
    pub fn short_name(&self) -> String {
        format!("{}{}", self.row_label, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessible_name_reads_row_seat_kind_and_price() {
        let seat = Seat {
            id: 1,
            row_label: "C".into(),
            number: 7,
            grid_row: 3,
            grid_col: 8,
            kind: SeatKind::Standard,
        };
        assert_eq!(
            seat.accessible_name(Some(1250)),
            "Row C, seat 7, standard, $12.50"
        );
        assert_eq!(seat.short_name(), "C7");
    }
}
