//! The seat map: the auditorium's grid, drawn from its layout, one button per seat.
//!
//! Every seat is a `<button>` carrying the browser-test contract (docs/api.md):
//! `data-seat-id` (the seat's id), `data-state` (`available`, `mine`, `held` or `sold`) and an
//! accessible name "Row C, seat 7, standard, $12.50". Aisles and gaps are simply grid cells
//! without a seat. Each button reads only its own seat's signal, so a change re-renders one
//! seat, not the map.
//!
//! For the keyboard and assistive technology the map is an ARIA grid (rows of cells, each
//! holding its seat's button) with one tab stop: the arrow keys move between seats (aisles
//! skipped), Home/End go to the ends of a row, PageUp/PageDown to the front and back rows, and
//! Enter or Space holds or releases the seat, as a click does.
//!
//! Without JavaScript the map is a form: each seat's button submits it to hold the seat (or,
//! for a seat of this person's hold, to release it), and the page comes back with the result
//! (`forms.rs`). Hydrated, a click is handled here instead.
//!
//! On a small screen the map scrolls inside its own viewport (`zoom.rs`).

use std::collections::{BTreeMap, HashMap};

use leptos::html;
use leptos::prelude::*;

use super::forms::{ShowtimeField, action};
use super::keyboard::keyboard_moves;
use super::model::SeatState;
use super::state::BookingState;
use super::zoom::{ZOOM_REM, ZoomPan, centre};
use crate::app::catalog::{Seat, SeatKind, SeatLayout};
use crate::app::platform::hydrated;

#[component]
pub fn SeatMap(layout: SeatLayout, booking: BookingState) -> impl IntoView {
    // Row labels sit in an extra column at each end; seats are shifted one column right.
    let label_end = layout.grid_cols + 2;
    let grid_style = format!("--cols: {}; --rows: {}", layout.grid_cols, layout.grid_rows);
    let moves = StoredValue::new(keyboard_moves(&layout.seats));
    let refs: HashMap<i64, NodeRef<html::Button>> = layout
        .seats
        .iter()
        .map(|seat| (seat.id, NodeRef::new()))
        .collect();
    let refs = StoredValue::new(refs);
    // The one seat in the tab order: the first, until the focus moves.
    let active = RwSignal::new(layout.seats.first().map_or(0, |seat| seat.id));
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let key = ev.key();
        let to = moves.with_value(|moves| moves.get(&active.get_untracked())?.target(&key));
        let Some(to) = to else { return };
        ev.prevent_default();
        active.set(to);
        if let Some(button) = refs.with_value(|refs| refs.get(&to).and_then(NodeRef::get)) {
            let _ = button.focus();
        }
    };
    let mut by_row: BTreeMap<i32, Vec<Seat>> = BTreeMap::new();
    for seat in layout.seats {
        by_row.entry(seat.grid_row).or_default().push(seat);
    }
    let labels: HashMap<i32, String> = layout
        .rows
        .iter()
        .map(|row| (row.grid_row, row.label.clone()))
        .collect();
    let list_rows: Vec<(String, Vec<Seat>)> = by_row
        .iter()
        .map(|(row, seats)| {
            let mut seats = seats.clone();
            seats.sort_by_key(|seat| seat.grid_col);
            (labels.get(row).cloned().unwrap_or_default(), seats)
        })
        .collect();
    let rows = by_row
        .into_iter()
        .map(|(grid_row, seats)| {
            let label = labels.get(&grid_row).cloned().unwrap_or_default();
            let ends = [1, label_end].map(|col| {
                view! {
                    <span
                        class="row-label"
                        aria-hidden="true"
                        style=format!("grid-row: {grid_row}; grid-column: {col}")
                    >
                        {label.clone()}
                    </span>
                }
            });
            let cells = seats
                .into_iter()
                .map(|seat| {
                    let node_ref = refs.with_value(|refs| refs[&seat.id]);
                    view! {
                        <div role="gridcell" class="seat-cell">
                            <SeatButton seat booking active node_ref />
                        </div>
                    }
                })
                .collect_view();
            view! {
                <div role="row" class="seat-row" aria-label=format!("Row {label}")>
                    {ends}
                    {cells}
                </div>
            }
        })
        .collect_view();
    let list_view = RwSignal::new(false);
    let list_rows = StoredValue::new(list_rows);
    let list = move || {
        list_rows
            .get_value()
            .into_iter()
            .map(|(label, seats)| {
                let items = seats
                    .into_iter()
                    .map(|seat| view! { <SeatListItem seat booking /> })
                    .collect_view();
                view! {
                    <li>
                        <h3>{format!("Row {label}")}</h3>
                        <ul class="seat-list-row">{items}</ul>
                    </li>
                }
            })
            .collect_view()
    };
    let js = hydrated();
    let viewport = NodeRef::<html::Div>::new();
    let zoom = RwSignal::new(None::<usize>);
    let view_style = move || {
        zoom.get()
            .map(|level| format!("--seat: {}rem", ZOOM_REM[level]))
            .unwrap_or_default()
    };
    // Open on the middle of the room when it does not fit (a phone): the best seats are there.
    // (After the first frame: the page is laid out by then.)
    Effect::new(move |_| {
        if let Some(viewport) = viewport.get() {
            request_animation_frame(move || centre(&viewport));
        }
    });
    let showtime_id = booking.showtime_id;
    view! {
        <form class="seat-map" method="post" action=action::HOLD>
            <ShowtimeField showtime_id />
            <div class="map-tools" class:hidden=move || !js.get()>
                <button
                    type="button"
                    class="link-button view-toggle"
                    aria-pressed=move || if list_view.get() { "true" } else { "false" }
                    on:click=move |_| list_view.update(|on| *on = !*on)
                >
                    "List view"
                </button>
                <ZoomPan viewport zoom hidden=list_view />
            </div>
            <Show when=move || list_view.get()>
                <ul class="seat-list" aria-label="Seats by row" data-testid="seat-list">
                    {list()}
                </ul>
            </Show>
            <div
                class="seat-viewport"
                class:hidden=move || list_view.get()
                node_ref=viewport
                style=view_style
                data-testid="seat-viewport"
            >
                <div class="seat-room">
                    <div class="screen" aria-hidden="true">
                        "Screen"
                    </div>
                    <div
                        class="seat-grid"
                        role="grid"
                        aria-label="Seats"
                        aria-describedby="seat-keys"
                        style=grid_style
                        on:keydown=on_keydown
                    >
                        {rows}
                    </div>
                </div>
            </div>
            <p id="seat-keys" class="hint seat-keys" class:hidden=move || list_view.get()>
                "Arrow keys move between seats; Enter or Space holds or releases one."
            </p>
        </form>
    }
}

#[component]
fn SeatButton(
    seat: Seat,
    booking: BookingState,
    active: RwSignal<i64>,
    node_ref: NodeRef<html::Button>,
) -> impl IntoView {
    let id = seat.id;
    let price = booking.price(id);
    let state = booking.seat(id);
    let unavailable = move || matches!(state.get(), SeatState::Held | SeatState::Sold);
    // Someone else taking the seat this visitor is on is worth telling a screen reader.
    let focused = RwSignal::new(false);
    let name = seat.short_name();
    Effect::new(move |before: Option<SeatState>| {
        let now = state.get();
        if before.is_some_and(|before| before != now)
            && focused.get_untracked()
            && matches!(now, SeatState::Held | SeatState::Sold)
        {
            booking
                .announcement
                .set(format!("Seat {name} was just taken by someone else."));
        }
        now
    });
    // Wheelchair spaces show the symbol instead of a number; the name says it in words.
    let face = match seat.kind {
        SeatKind::Wheelchair => "♿".to_string(),
        _ => seat.number.to_string(),
    };
    view! {
        <button
            type="submit"
            name="seat_id"
            value=id.to_string()
            formaction=move || form_action(state.get())
            id=format!("seat-{id}")
            node_ref=node_ref
            class=move || format!("seat seat--{} is-{}", seat.kind.as_str(), state.get().as_str())
            style=format!("grid-row: {}; grid-column: {}", seat.grid_row, seat.grid_col + 1)
            data-seat-id=id.to_string()
            data-state=move || state.get().as_str()
            aria-label=seat.accessible_name(price)
            aria-pressed=move || if state.get() == SeatState::Mine { "true" } else { "false" }
            aria-disabled=move || if unavailable() { "true" } else { "false" }
            tabindex=move || if active.get() == id { "0" } else { "-1" }
            title=seat.short_name()
            on:focus=move |_| {
                active.set(id);
                focused.set(true);
            }
            on:blur=move |_| focused.set(false)
            on:click=move |ev| {
                ev.prevent_default();
                booking.toggle(id);
            }
        >
            <span aria-hidden="true">{face}</span>
        </button>
    }
}

/// A seat in the list view: the same seat and the same toggle as on the map, its state in
/// words ("C7, standard, $12.50, available").
#[component]
fn SeatListItem(seat: Seat, booking: BookingState) -> impl IntoView {
    let id = seat.id;
    let state = booking.seat(id);
    let price = booking
        .price(id)
        .map(crate::app::money::format_cents)
        .unwrap_or_else(|| "price unavailable".into());
    let base = format!(
        "{}, {}, {price}",
        seat.short_name(),
        seat.kind.label().to_lowercase()
    );
    let words = move || match state.get() {
        SeatState::Available => "available",
        SeatState::Mine => "yours",
        SeatState::Held => "taken",
        SeatState::Sold => "sold",
    };
    view! {
        <li>
            <button
                type="submit"
                name="seat_id"
                value=id.to_string()
                formaction=move || form_action(state.get())
                class="seat-list-item"
                data-list-seat-id=id.to_string()
                aria-pressed=move || if state.get() == SeatState::Mine { "true" } else { "false" }
                aria-disabled=move || {
                    if matches!(state.get(), SeatState::Held | SeatState::Sold) {
                        "true"
                    } else {
                        "false"
                    }
                }
                on:click=move |ev| {
                    ev.prevent_default();
                    booking.toggle(id);
                }
            >
                {move || format!("{base}, {}", words())}
            </button>
        </li>
    }
}

/// Where a seat's button posts the map's form without JavaScript: a seat of this person's
/// hold is released, any other is asked for (a taken one is refused with the reason).
fn form_action(state: SeatState) -> &'static str {
    match state {
        SeatState::Mine => action::RELEASE,
        _ => action::HOLD,
    }
}
