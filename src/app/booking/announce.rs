//! What a screen reader hears without looking: one polite live region on the showtime page,
//! told about the changes the visitor must know of (their hold, its last minute, an offer;
//! a seat they are on being taken is told by the seat map). Places in line are announced by
//! the line panel's own `role=status`.

use std::collections::BTreeSet;

use leptos::prelude::*;

use super::best_available::list;
use super::hold_timer::{WARN_BELOW_MS, clock};
use super::state::BookingState;

/// The live region, and what feeds it.
#[component]
pub fn Announcer(booking: BookingState) -> impl IntoView {
    // The hold: seats added or given up, from any source (a click, best available, an offer,
    // another tab); a purchase ends on another page.
    Effect::new(move |before: Option<BTreeSet<i64>>| {
        let now = booking.mine.get();
        if let Some(before) = before {
            let added: Vec<String> = now
                .difference(&before)
                .map(|id| booking.name(*id))
                .collect();
            let gone: Vec<String> = before
                .difference(&now)
                .map(|id| booking.name(*id))
                .collect();
            let left = booking
                .deadline
                .get_untracked()
                .map(|deadline| clock((deadline - crate::app::platform::now_ms()) as i64));
            let message = if !added.is_empty() && booking.offer.get_untracked() {
                format!(
                    "Seats ready for you from the waiting line: {}.",
                    list(&added)
                )
            } else if !added.is_empty() {
                format!(
                    "{} held. {} held in all{}.",
                    list(&added),
                    now.len(),
                    left.map(|l| format!(", {l} left to pay"))
                        .unwrap_or_default()
                )
            } else if !gone.is_empty() && now.is_empty() {
                format!("{} released. You hold no seats.", list(&gone))
            } else if !gone.is_empty() {
                format!("{} released. {} held.", list(&gone), now.len())
            } else {
                String::new()
            };
            if !message.is_empty() {
                booking.announcement.set(message);
            }
        }
        now
    });
    // The hold's last minute, once per hold.
    let left_ms = booking.left_ms;
    Effect::new(move |warned: Option<bool>| {
        let warning = left_ms.get().is_some_and(|ms| ms > 0 && ms < WARN_BELOW_MS);
        if warning && warned == Some(false) {
            booking
                .announcement
                .set("Less than a minute left on your hold. You can extend it.".into());
        }
        warning
    });
    // An element, not bare text: an empty text node does not survive the trip through HTML,
    // and hydration would not find it.
    let said = move || {
        let text = booking.announcement.get();
        (!text.is_empty()).then(|| view! { <span>{text}</span> })
    };
    view! {
        <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="announcer">
            {said}
        </div>
    }
}
