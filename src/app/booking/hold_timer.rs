//! The countdown of this person's hold, with the offer to extend it in the last minute.
//! Until the browser counts (and without JavaScript) it shows when the hold ends instead,
//! and the way to extend it is a form.

use std::time::Duration;

use leptos::prelude::*;

use super::api::extend_hold;
use super::forms::{PostForm, action};
use super::state::{BookingState, Notice};
use crate::app::platform::now_ms;

pub(super) const WARN_BELOW_MS: i64 = 60_000;

/// The hold's time left in ms (`None` without a hold), ticking four times a second in the
/// browser: one clock per page, which everything showing the time left reads. Until the
/// browser starts ticking (on the server, and in the first browser render) it is the time
/// left the server reported, so hydration sees identical text. The second value says whether
/// the browser is ticking yet.
pub(super) fn countdown(
    deadline: RwSignal<Option<f64>>,
    initial_left_ms: RwSignal<Option<i64>>,
) -> (Memo<Option<i64>>, Signal<bool>) {
    let now = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        now.set(Some(now_ms()));
        if let Ok(handle) =
            set_interval_with_handle(move || now.set(Some(now_ms())), Duration::from_millis(250))
        {
            on_cleanup(move || handle.clear());
        }
    });
    let left_ms = Memo::new(move |_| match (now.get(), deadline.get()) {
        (Some(now), Some(deadline)) => Some((deadline - now).max(0.0) as i64),
        (None, Some(_)) => initial_left_ms.get(),
        _ => None,
    });
    (left_ms, Signal::derive(move || now.get().is_some()))
}

/// "4:59" for 299 000 ms (rounded up, so it shows 0:00 only once the time is up).
pub fn clock(ms: i64) -> String {
    let secs = (ms.max(0) + 999) / 1000;
    format!("{}:{:02}", secs / 60, secs % 60)
}

#[component]
pub fn HoldTimer(booking: BookingState) -> impl IntoView {
    let (left_ms, ticking) = (booking.left_ms, booking.ticking);
    Effect::new(move |_| {
        if left_ms.get() == Some(0) && ticking.get() {
            booking.expire();
        }
    });
    let warning = move || left_ms.get().is_some_and(|ms| ms < WARN_BELOW_MS);
    let label = move || clock(left_ms.get().unwrap_or(0));
    let extending = RwSignal::new(false);
    let extend = move || {
        booking.act(extending, extend_hold(booking.showtime_id), move |hold| {
            booking.apply_hold(Some(hold));
            booking
                .notice
                .set(Some(Notice::Info("Your hold was extended.".into())));
        });
    };
    // Without a countdown the last minute cannot be told apart: the offer stays up.
    let offer_more = move || (warning() || !ticking.get()) && booking.extensions_left.get() > 0;
    let until = move || {
        booking
            .hold_until
            .get()
            .unwrap_or_else(|| format!("{} from now", label()))
    };
    let showtime_id = booking.showtime_id;
    view! {
        // An offer from the waiting line shows its own countdown, in its panel.
        <Show when=move || left_ms.get().is_some() && !booking.offer.get()>
            <div class="hold-timer" class:warning=warning role="timer" data-testid="hold-timer">
                {move || {
                    if ticking.get() {
                        view! {
                            <span>"Seats held for "</span>
                            <strong data-testid="hold-time-left">{label}</strong>
                        }
                            .into_any()
                    } else {
                        view! {
                            <span>"Seats held until "</span>
                            <strong data-testid="hold-until">{until}</strong>
                        }
                            .into_any()
                    }
                }}
                <Show when=warning>
                    <p class="hold-warning">"Less than a minute left."</p>
                </Show>
                <Show when=offer_more>
                    <PostForm action=action::EXTEND showtime_id on_submit=extend>
                        <button type="submit" class="extend" disabled=move || extending.get()>
                            {move || {
                                format!(
                                    "Need more time? Extend ({} left)",
                                    booking.extensions_left.get(),
                                )
                            }}
                        </button>
                    </PostForm>
                </Show>
            </div>
        </Show>
    }
}
