//! "Best available": ask for N seats (and optionally a kind) instead of picking them; the
//! server holds the best block it finds and says how the seats sit.

use leptos::prelude::*;

use super::api::hold_best;
use super::forms::{PostForm, action};
use super::model::{Arrangement, BestHold};
use super::state::{BookingState, Notice};
use crate::app::catalog::SeatKind;

/// The form beside the map, shown while this person holds nothing and is not in line.
#[component]
pub fn BestAvailable(booking: BookingState) -> impl IntoView {
    let count = RwSignal::new(2u32.min(booking.max_party));
    let kind = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let shown = move || booking.mine.with(|m| m.is_empty()) && booking.line.get().is_none();
    let submit = move || {
        if busy.get_untracked() {
            return;
        }
        let wanted = count.get_untracked();
        let kind = SeatKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind.get_untracked());
        booking.notice.set(None);
        booking.act(
            busy,
            hold_best(booking.showtime_id, wanted, kind),
            move |best: BestHold| {
                let message = describe_best(&best);
                booking.apply_hold(Some(best.hold));
                booking.notice.set(Some(Notice::Info(message)));
            },
        );
    };
    let options = move || {
        (1..=booking.max_party)
            .map(|n| view! { <option value=n.to_string()>{n.to_string()}</option> })
            .collect_view()
    };
    view! {
        <Show when=shown>
            <section class="best" aria-labelledby="best-title" data-testid="best-available">
                <h2 id="best-title">"Best available"</h2>
                <PostForm action=action::BEST showtime_id=booking.showtime_id on_submit=submit>
                    <label>
                        "Seats "
                        <select
                            name="count"
                            data-testid="best-count"
                            prop:value=move || count.get().to_string()
                            on:change=move |ev| {
                                if let Ok(n) = event_target_value(&ev).parse() {
                                    count.set(n);
                                }
                            }
                        >
                            {options}
                        </select>
                    </label>
                    <label>
                        "Kind "
                        <select
                            name="kind"
                            data-testid="best-kind"
                            prop:value=move || kind.get()
                            on:change=move |ev| kind.set(event_target_value(&ev))
                        >
                            <option value="">"Any"</option>
                            // Companion seats go with a wheelchair space, not on their own.
                            {SeatKind::ALL
                                .into_iter()
                                .filter(|k| *k != SeatKind::Companion)
                                .map(|k| view! { <option value=k.as_str()>{k.label()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <button
                        type="submit"
                        class="find"
                        data-testid="best-submit"
                        disabled=move || busy.get()
                    >
                        "Find the best seats"
                    </button>
                </PostForm>
            </section>
        </Show>
    }
}

/// What to tell the person about the seats they were given.
pub fn describe_best(best: &BestHold) -> String {
    let seats = list(&best.seats);
    let mut message = match best.arrangement {
        Arrangement::Together if best.seats.len() == 1 => format!("Held {seats}."),
        Arrangement::Together => format!("Held {seats}, side by side."),
        Arrangement::Split => format!(
            "No row had {} seats together: held {seats}, in two rows, one behind the other.",
            best.seats.len()
        ),
        Arrangement::Scattered => format!(
            "No two rows had {} seats together: held the best single seats, {seats}.",
            best.seats.len()
        ),
    };
    if !best.stranded.is_empty() {
        message.push_str(&format!(
            " {} is left on its own: no block without a single seat beside it was free.",
            list(&best.stranded)
        ));
    }
    message
}

/// "A1", "A1 and A2", "A1, A2 and A3".
pub fn list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
