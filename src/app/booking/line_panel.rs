//! The waiting line on the showtime page: joining it when the show is (nearly) full, the
//! live place in line while waiting, and the "your seats are ready" panel when the line
//! offers seats.

use leptos::prelude::*;

use super::api::{decline_offer, join_line, leave_line};
use super::forms::{PostForm, action};
use super::hold_timer::clock;
use super::state::{BookingState, Notice};

/// The waiting line's panel: an offer, the place in line, or the way in, whichever applies.
/// (Named for what it draws; the server's `WaitingLine` is the line itself.)
#[component]
pub fn LinePanel(booking: BookingState) -> impl IntoView {
    let holding = move || booking.mine.with(|m| !m.is_empty());
    let free = Memo::new(move |_| booking.free_count() as u32);
    move || {
        if booking.offer.get() && holding() {
            view! { <OfferPanel booking /> }.into_any()
        } else if let Some(place) = booking.line.get() {
            view! { <InLine booking position=place.position party=place.party /> }.into_any()
        } else if !holding() && free.get() < booking.max_party {
            view! { <JoinLine booking free /> }.into_any()
        } else {
            ().into_any()
        }
    }
}

/// Seats the line offered: a prominent panel with its own countdown and a way to say no.
#[component]
fn OfferPanel(booking: BookingState) -> impl IntoView {
    let (left_ms, ticking) = (booking.left_ms, booking.ticking);
    let seats = move || {
        booking.mine.with(|m| {
            m.iter()
                .map(|&id| booking.name(id))
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let busy = RwSignal::new(false);
    let decline = move || {
        booking.act(busy, decline_offer(booking.showtime_id), move |hold| {
            booking.apply_hold(Some(hold));
            booking.notice.set(Some(Notice::Info(
                "You declined the seats; they went to the next person in line.".into(),
            )));
        });
    };
    view! {
        <section class="offer-panel" aria-labelledby="offer-title" data-testid="offer-panel">
            <h2 id="offer-title">"Your seats are ready"</h2>
            <p>
                "Seats " <strong data-testid="offer-seats">{seats}</strong>
                {move || {
                    if ticking.get() {
                        view! {
                            " are held for you for "
                            <strong role="timer" data-testid="offer-time-left">
                                {move || clock(left_ms.get().unwrap_or(0))}
                            </strong>
                        }
                            .into_any()
                    } else {
                        let until = booking.hold_until.get().unwrap_or_default();
                        // Without JavaScript: when the offer ends, on the theater's clock.
                        view! {
                            " are held for you until "
                            <strong data-testid="offer-until">{until}</strong>
                        }
                            .into_any()
                    }
                }} ". Complete checkout below to make them yours."
            </p>
            <PostForm action=action::DECLINE showtime_id=booking.showtime_id on_submit=decline>
                <button type="submit" class="decline" disabled=move || busy.get()>
                    "Decline these seats"
                </button>
            </PostForm>
        </section>
    }
}

/// Waiting: the place in line, live.
#[component]
fn InLine(booking: BookingState, position: u32, party: u32) -> impl IntoView {
    let busy = RwSignal::new(false);
    let leave = move || {
        booking.act(busy, leave_line(booking.showtime_id), move |()| {
            booking.line.set(None);
            booking
                .notice
                .set(Some(Notice::Info("You left the waiting line.".into())));
        });
    };
    let seats = if party == 1 {
        "1 seat".to_string()
    } else {
        format!("{party} seats")
    };
    let ahead = position.saturating_sub(1);
    view! {
        <section class="line-panel" aria-label="Waiting line">
            <p class="line-position" role="status" data-testid="line-position">
                "You are number "
                <strong>{position}</strong>
                " in line"
            </p>
            <p class="line-detail">
                {format!(
                    "Waiting for {seats}; {ahead} {} ahead of you. Seats that free up are offered in order, and you will see them here. Keep this page open (without JavaScript, reload it to check).",
                    if ahead == 1 { "person" } else { "people" },
                )}
            </p>
            <PostForm action=action::LEAVE_LINE showtime_id=booking.showtime_id on_submit=leave>
                <button type="submit" class="leave" disabled=move || busy.get()>
                    "Leave the line"
                </button>
            </PostForm>
        </section>
    }
}

/// Fewer seats free than a party may need: the way into the line.
#[component]
fn JoinLine(booking: BookingState, free: Memo<u32>) -> impl IntoView {
    let party = RwSignal::new(None::<u32>);
    let busy = RwSignal::new(false);
    // Only parties that do not fit in what is free may join.
    let smallest = move || free.get() + 1;
    let chosen = move || {
        party
            .get()
            .filter(|&p| p >= smallest())
            .unwrap_or_else(smallest)
    };
    let join = move || {
        booking.act(
            busy,
            join_line(booking.showtime_id, chosen()),
            move |place| {
                // The live feed may have been faster: with a newer place, or with an offer that
                // already took this person out of line. It wins.
                if booking.line.get_untracked().is_none() && !booking.offer.get_untracked() {
                    booking.line.set(Some(place));
                }
                booking.notice.set(None);
            },
        );
    };
    let options = move || {
        (smallest()..=booking.max_party)
            .map(|n| {
                view! {
                    <option value=n.to_string() selected=move || chosen() == n>
                        {n}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <section class="line-panel" aria-label="Waiting line">
            <p class="line-intro">
                {move || match free.get() {
                    0 => "Every seat is taken right now.".to_string(),
                    1 => "Only 1 seat is free right now.".to_string(),
                    n => format!("Only {n} seats are free right now."),
                }}
                " Join the waiting line: seats that free up are offered first to whoever has waited longest."
            </p>
            <PostForm action=action::JOIN_LINE showtime_id=booking.showtime_id on_submit=join>
                <label>
                    "Seats needed "
                    <select
                        name="party"
                        on:change=move |ev| party.set(event_target_value(&ev).parse().ok())
                    >
                        {options}
                    </select>
                </label>
                <button type="submit" class="join" disabled=move || busy.get()>
                    "Join the waiting line"
                </button>
            </PostForm>
        </section>
    }
}
