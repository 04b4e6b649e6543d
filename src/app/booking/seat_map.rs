//! The seat map: the auditorium's grid, drawn from its layout, one button per seat.
//!
//! Every seat is a `<button>` carrying the browser-test contract (docs/api.md):
//! `data-seat-id` (the seat's id), `data-state` (`available`, `mine`, `held` or `sold`) and an
//! accessible name "Row C, seat 7, standard, $12.50". Aisles and gaps are simply grid cells
//! without a seat. Each button reads only its own seat's signal, so a change re-renders one
//! seat, not the map.

use leptos::prelude::*;

use super::model::SeatState;
use super::state::BookingState;
use crate::app::catalog::{Seat, SeatKind, SeatLayout};

#[component]
pub fn SeatMap(layout: SeatLayout, booking: BookingState) -> impl IntoView {
    // Row labels sit in an extra column at each end; seats are shifted one column right.
    let label_end = layout.grid_cols + 2;
    let grid_style = format!("--cols: {}; --rows: {}", layout.grid_cols, layout.grid_rows);
    let labels = layout
        .rows
        .iter()
        .flat_map(|row| {
            [1, label_end].map(|col| {
                view! {
                    <span
                        class="row-label"
                        aria-hidden="true"
                        style=format!("grid-row: {}; grid-column: {col}", row.grid_row)
                    >
                        {row.label.clone()}
                    </span>
                }
            })
        })
        .collect_view();
    let seats = layout
        .seats
        .into_iter()
        .map(|seat| view! { <SeatButton seat booking /> })
        .collect_view();
    view! {
        <div class="seat-map">
            <div class="screen" aria-hidden="true">
                "Screen"
            </div>
            <div class="seat-grid" role="group" aria-label="Seats" style=grid_style>
                {labels}
                {seats}
            </div>
        </div>
    }
}

#[component]
fn SeatButton(seat: Seat, booking: BookingState) -> impl IntoView {
    let id = seat.id;
    let price = booking.price(id);
    let state = booking.seat(id);
    let unavailable = move || matches!(state.get(), SeatState::Held | SeatState::Sold);
    // Wheelchair spaces show the symbol instead of a number; the name says it in words.
    let face = match seat.kind {
        SeatKind::Wheelchair => "♿".to_string(),
        _ => seat.number.to_string(),
    };
    view! {
        <button
            type="button"
            class=move || format!("seat seat--{} is-{}", seat.kind.as_str(), state.get().as_str())
            style=format!("grid-row: {}; grid-column: {}", seat.grid_row, seat.grid_col + 1)
            data-seat-id=id.to_string()
            data-state=move || state.get().as_str()
            aria-label=seat.accessible_name(price)
            aria-pressed=move || if state.get() == SeatState::Mine { "true" } else { "false" }
            aria-disabled=move || if unavailable() { "true" } else { "false" }
            title=seat.short_name()
            on:click=move |_| booking.toggle(id)
        >
            <span aria-hidden="true">{face}</span>
        </button>
    }
}
