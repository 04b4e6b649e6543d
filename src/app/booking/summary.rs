//! The selection summary beside the seat map: the held seats with their prices and the
//! total, and the latest booking notice (`data-testid="booking-message"`).

use std::collections::HashMap;

use leptos::prelude::*;

use super::api::hold_seats;
use super::best_available::list;
use super::forms::{ShowtimeField, action};
use super::model::SeatState;
use super::seating::{self, Place};
use super::state::{BookingState, Notice};
use crate::app::catalog::{SeatKind, ShowtimeDetail};
use crate::app::money::format_cents;

/// The held seats, in seat-map order, with their prices and the total; and the latest
/// message about the booking.
#[component]
pub fn SelectionSummary(detail: ShowtimeDetail, booking: BookingState) -> impl IntoView {
    // Seat id → place on the map, for listing the hold in seat-map order (the hold only
    // holds ids). Names and prices come from the booking state.
    let place: HashMap<i64, (i32, i32)> = detail
        .layout
        .seats
        .iter()
        .map(|seat| (seat.id, (seat.grid_row, seat.grid_col)))
        .collect();
    let place = StoredValue::new(place);
    let lines = move || {
        let mut lines: Vec<_> = booking.mine.with(|ids| {
            place.with_value(|place| {
                ids.iter()
                    .filter_map(|&id| {
                        let at = *place.get(&id)?;
                        Some((at, booking.name(id), booking.price(id).unwrap_or(0)))
                    })
                    .collect()
            })
        });
        lines.sort();
        lines
    };
    // Single seats the hold leaves alone: a hint, never a refusal (someone buying one seat
    // may want exactly that one).
    let room: Vec<(i64, i32, i32, SeatKind)> = detail
        .layout
        .seats
        .iter()
        .map(|seat| (seat.id, seat.grid_row, seat.grid_col, seat.kind))
        .collect();
    let room = StoredValue::new(room);
    let stranded = move || {
        let mine: Vec<i64> = booking.mine.with(|m| m.iter().copied().collect());
        if mine.is_empty() || booking.offer.get() {
            return Vec::new();
        }
        let places: Vec<Place> = room.with_value(|room| {
            room.iter()
                .map(|&(id, row, col, kind)| Place {
                    id,
                    row,
                    col,
                    kind,
                    free: booking.seat(id).get() == SeatState::Available,
                })
                .collect()
        });
        seating::stranded_by(&places, &mine)
            .into_iter()
            .map(|id| booking.name(id))
            .collect::<Vec<_>>()
    };
    // A wheelchair space held without the companion seat beside it: offer that seat. A
    // companion seat held without a space, where the theater sells them together: say so.
    let companion_rule = detail.companion_needs_wheelchair;
    let companions = move || {
        let mine: Vec<i64> = booking.mine.with(|m| m.iter().copied().collect());
        room.with_value(|room| {
            let at = |row: i32, col: i32| room.iter().find(|s| s.1 == row && s.2 == col);
            let kind_of = |id: i64| room.iter().find(|s| s.0 == id).map(|s| s.3);
            let mut offer = Vec::new();
            for &(id, row, col, kind) in room {
                if kind != SeatKind::Wheelchair || !mine.contains(&id) {
                    continue;
                }
                let beside = [at(row, col - 1), at(row, col + 1)];
                let has_companion = beside
                    .iter()
                    .flatten()
                    .any(|s| s.3 == SeatKind::Companion && mine.contains(&s.0));
                if has_companion {
                    continue;
                }
                if let Some(free) = beside.into_iter().flatten().find(|s| {
                    s.3 == SeatKind::Companion && booking.seat(s.0).get() == SeatState::Available
                }) {
                    offer.push(free.0);
                }
            }
            let lone = companion_rule
                && mine
                    .iter()
                    .any(|id| kind_of(*id) == Some(SeatKind::Companion))
                && !mine
                    .iter()
                    .any(|id| kind_of(*id) == Some(SeatKind::Wheelchair));
            (offer, lone)
        })
    };
    let add_busy = RwSignal::new(false);
    let count = move || booking.mine.with(|s| s.len());
    let notice = move || {
        booking.notice.get().map(|notice| {
            let (class, text) = match notice {
                Notice::Info(text) => ("notice info", text),
                Notice::Error(text) => ("notice error", text),
            };
            view! {
                <p class=class role="alert" data-testid="booking-message">
                    {text}
                </p>
            }
        })
    };
    view! {
        <section class="summary" id="notice" aria-labelledby="summary-title">
            <h2 id="summary-title">"Your seats"</h2>
            {notice}
            <div aria-live="polite">
                <Show
                    when=move || { count() > 0 }
                    fallback=|| view! { <p class="muted">"Pick seats on the map to hold them."</p> }
                >
                    <ul class="selected-seats" data-testid="selected-seats">
                        {move || {
                            lines()
                                .into_iter()
                                .map(|(_, name, price)| {
                                    view! {
                                        <li>
                                            <span class="seat-name">{name}</span>
                                            <span class="seat-price">{format_cents(price)}</span>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                    <p class="total">
                        {move || {
                            let n = count();
                            format!("{n} seat{}", if n == 1 { "" } else { "s" })
                        }} " · Total "
                        <strong data-testid="total">{move || format_cents(booking.total())}</strong>
                    </p>
                    {move || {
                        let (offer, lone) = companions();
                        let offer = offer
                            .into_iter()
                            .map(|id| {
                                let name = booking.name(id);
                                let add = move |ev: leptos::ev::MouseEvent| {
                                    ev.prevent_default();
                                    booking
                                        .act(
                                            add_busy,
                                            hold_seats(booking.showtime_id, vec![id]),
                                            move |hold| booking.apply_hold(Some(hold)),
                                        )
                                };
                                view! {
                                    <form
                                        class="hint companion"
                                        method="post"
                                        action=action::HOLD
                                        data-testid="companion-offer"
                                    >
                                        <ShowtimeField showtime_id=booking.showtime_id />
                                        {format!(
                                            "{name} beside your wheelchair space is a companion seat. ",
                                        )}
                                        <button
                                            type="submit"
                                            name="seat_id"
                                            value=id.to_string()
                                            class="link-button"
                                            on:click=add
                                            disabled=move || add_busy.get()
                                        >
                                            {format!("Add {name}")}
                                        </button>
                                    </form>
                                }
                            })
                            .collect_view();
                        let lone = lone
                            .then(|| {
                                view! {
                                    <p class="hint" data-testid="companion-note">
                                        "Companion seats are sold together with a wheelchair space: add one to buy this seat."
                                    </p>
                                }
                            });
                        (offer, lone)
                    }}
                    {move || {
                        let alone = stranded();
                        (!alone.is_empty())
                            .then(|| {
                                let one = alone.len() == 1;
                                view! {
                                    <p class="hint" data-testid="strand-hint">
                                        {format!(
                                            "{} {} left on its own beside your seats; few people buy a single seat. Moving over by one keeps {} sellable.",
                                            list(&alone),
                                            if one { "is" } else { "are each" },
                                            if one { "it" } else { "them" },
                                        )}
                                    </p>
                                }
                            })
                    }}
                </Show>
            </div>
        </section>
    }
}
