//! The checkout form: buyer details and card, for exactly the seats of the hold (or of a
//! purchase attempt still awaiting its answer, see [`BookingState::checkout_seats`]).

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use super::api::purchase;
use super::attempt::PurchaseAttempt;
use super::forms::{ShowtimeField, action};
use super::input::{BuyerName, CardNumber, Email};
use super::model::PurchaseRequest;
use super::state::{BookingState, Notice};
use crate::app::error::AppError;
use crate::app::money::format_cents;

/// The form's state: the fields, the last error and whether a payment is running. The
/// purchase key lives in the booking state (`attempt`), which outlives the form.
#[derive(Clone, Copy)]
struct Form {
    name: RwSignal<String>,
    email: RwSignal<String>,
    card: RwSignal<String>,
    error: RwSignal<Option<String>>,
    pending: RwSignal<bool>,
}

impl Form {
    /// The form, filled in again after a checkout posted without JavaScript failed.
    fn new(booking: BookingState) -> Self {
        let (buyer, error) = booking.extras.with_value(|e| {
            (
                e.buyer.clone().unwrap_or_default(),
                e.checkout_error.clone(),
            )
        });
        Self {
            name: RwSignal::new(buyer.0),
            email: RwSignal::new(buyer.1),
            card: RwSignal::new(String::new()),
            error: RwSignal::new(error),
            pending: RwSignal::new(false),
        }
    }

    /// The purchase of the checkout's seats, if every field is valid (else the first problem
    /// is shown). Its key is the one of the attempt awaiting an answer for exactly these
    /// seats, if there is one, else a fresh one; either way it is kept until a definitive
    /// answer.
    fn request(&self, booking: BookingState) -> Option<PurchaseRequest> {
        let checks = (
            BuyerName::parse(&self.name.get_untracked()),
            Email::parse(&self.email.get_untracked()),
            CardNumber::parse(&self.card.get_untracked()),
        );
        let (name, email, card) = match checks {
            (Ok(n), Ok(e), Ok(c)) => (n, e, c),
            (n, e, c) => {
                let first = [n.err(), e.err(), c.err()].into_iter().flatten().next();
                self.error.set(first.map(|m| sentence(&m)));
                return None;
            }
        };
        let seats = untrack(|| booking.checkout_seats());
        let attempt = PurchaseAttempt::for_seats(
            booking.showtime_id,
            &seats,
            booking.attempt.get_untracked(),
        );
        booking.attempt.set(Some(attempt.clone()));
        Some(PurchaseRequest {
            showtime_id: booking.showtime_id,
            seat_ids: attempt.seats,
            name: name.as_str().to_string(),
            email: email.as_str().to_string(),
            card_number: card.digits().to_string(),
            idempotency_key: attempt.key,
        })
    }

    fn failed(&self, failure: AppError, key: &str, booking: BookingState) {
        self.pending.set(false);
        let message = sentence(&failure.to_string());
        if failure.settles_purchase() {
            settle(booking, key);
            // Without a hold the form closes with the attempt: say why beside the map.
            // (`try_`: the page may be gone by the time the answer comes.)
            if booking.mine.try_with_untracked(|mine| mine.is_empty()) == Some(true) {
                booking.notice.set(Some(Notice::Error(message.clone())));
            }
        }
        if let AppError::HoldExpired { .. } = failure {
            booking.expire();
        }
        self.error.set(Some(message));
    }
}

/// The answer to the attempt with `key` is definitive: the next purchase gets a new key.
fn settle(booking: BookingState, key: &str) {
    PurchaseAttempt::settle(booking.showtime_id, key);
    booking.attempt.maybe_update(|attempt| {
        let answered = attempt.as_ref().is_some_and(|a| a.key == key);
        if answered {
            *attempt = None;
        }
        answered
    });
}

// Long only by its markup: the fields are one form, and splitting them into components would
// just pass the same signals around.
#[component]
pub fn CheckoutForm(booking: BookingState) -> impl IntoView {
    let form = Form::new(booking);
    let Form {
        name,
        email,
        card,
        error,
        pending,
    } = form;
    let navigate = use_navigate();
    let total = move || booking.total_of(&booking.checkout_seats());
    // Checkout without a hold is for an attempt whose seats are sold, perhaps to this person
    // (see `BookingState::checkout_seats`): say why the form is still here.
    let unanswered = move || !pending.get() && booking.mine.with(|mine| mine.is_empty());

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let Some(request) = form.request(booking) else {
            return;
        };
        error.set(None);
        pending.set(true);
        let navigate = navigate.clone();
        let key = request.idempotency_key.clone();
        leptos::task::spawn_local(async move {
            match purchase(request).await {
                Ok(order) => {
                    settle(booking, &key);
                    navigate(
                        &format!("/orders/{}", order.code),
                        NavigateOptions::default(),
                    );
                }
                Err(failure) => form.failed(failure, &key, booking),
            }
        });
    };

    // Without JavaScript the form posts itself: the seats and the key go with it.
    let seat_list = move || {
        booking
            .checkout_seats()
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let key = booking.extras.with_value(|e| e.purchase_key.clone());
    // The server's HTML carries the values a failed checkout is filled in again with.
    let (name_was, email_was) = (name.get_untracked(), email.get_untracked());
    view! {
        <form
            class="checkout"
            id="checkout"
            method="post"
            action=action::PURCHASE
            on:submit=submit
            novalidate
        >
            <h2>"Checkout"</h2>
            <ShowtimeField showtime_id=booking.showtime_id />
            <input type="hidden" name="seats" value=seat_list />
            <input type="hidden" name="key" value=key />
            <label>
                <span>"Name"</span>
                <input
                    type="text"
                    name="name"
                    autocomplete="name"
                    maxlength="100"
                    value=name_was
                    bind:value=name
                />
            </label>
            <label>
                <span>"Email"</span>
                <input
                    type="email"
                    name="email"
                    autocomplete="email"
                    value=email_was
                    bind:value=email
                />
            </label>
            <label>
                <span>"Card number"</span>
                <input
                    type="text"
                    name="card"
                    inputmode="numeric"
                    autocomplete="cc-number"
                    bind:value=card
                />
            </label>
            <Show when=unanswered>
                <p class="hint" data-testid="checkout-unanswered">
                    "Your last payment for these seats got no clear answer. Pay again with the "
                    "same details to complete it: you will not be charged twice."
                </p>
            </Show>
            <p class="hint">
                "Test payments: any valid card number works, e.g. 4242 4242 4242 4242; "
                "4000 0000 0000 0002 is always declined."
            </p>
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p class="form-error" role="alert" data-testid="checkout-error">
                                {message}
                            </p>
                        }
                    })
            }}
            <button type="submit" class="pay" disabled=move || pending.get()>
                {move || {
                    if pending.get() {
                        "Paying…".to_string()
                    } else {
                        format!("Pay {}", format_cents(total()))
                    }
                }}
            </button>
        </form>
    }
}

/// `text` as a sentence: its first letter in capitals.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
