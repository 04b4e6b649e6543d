//! The checkout form: buyer details and card, for exactly the seats of the hold.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use super::api::purchase;
use super::input::{BuyerName, CardNumber, Email};
use super::model::PurchaseRequest;
use super::state::BookingState;
use crate::app::error::AppError;
use crate::app::money::format_cents;
use crate::app::platform::random_key;

/// The form's state: the fields, the last error, whether a payment is running, and the
/// purchase key of the current attempt.
#[derive(Clone, Copy)]
struct Form {
    name: RwSignal<String>,
    email: RwSignal<String>,
    card: RwSignal<String>,
    error: RwSignal<Option<String>>,
    pending: RwSignal<bool>,
    /// One key per purchase attempt, kept across a retry after a network failure so that a
    /// payment that went through is not taken twice.
    attempt_key: RwSignal<Option<String>>,
}

impl Form {
    fn new() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            email: RwSignal::new(String::new()),
            card: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            pending: RwSignal::new(false),
            attempt_key: RwSignal::new(None),
        }
    }

    /// The purchase of the hold's seats, if every field is valid (else the first problem is
    /// shown).
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
                self.error.set(first.map(|m| capitalise(&m)));
                return None;
            }
        };
        let key = self.attempt_key.get_untracked().unwrap_or_else(random_key);
        self.attempt_key.set(Some(key.clone()));
        Some(PurchaseRequest {
            showtime_id: booking.showtime_id,
            seat_ids: booking.mine.get_untracked().into_iter().collect(),
            name: name.as_str().to_string(),
            email: email.as_str().to_string(),
            card_number: card.digits().to_string(),
            idempotency_key: key,
        })
    }

    fn failed(&self, failure: AppError, booking: BookingState) {
        self.pending.set(false);
        // Only a request that may not have arrived keeps its key for the retry.
        if !matches!(failure, AppError::Transport { .. }) {
            self.attempt_key.set(None);
        }
        if let AppError::HoldExpired { .. } = failure {
            booking.expire();
        }
        self.error.set(Some(capitalise(&failure.to_string())));
    }
}

// Long only by its markup: the fields are one form, and splitting them into components would
// just pass the same signals around.
#[component]
pub fn CheckoutForm(booking: BookingState) -> impl IntoView {
    let form = Form::new();
    let Form {
        name,
        email,
        card,
        error,
        pending,
        ..
    } = form;
    let navigate = use_navigate();

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
        leptos::task::spawn_local(async move {
            match purchase(request).await {
                Ok(order) => {
                    navigate(
                        &format!("/orders/{}", order.code),
                        NavigateOptions::default(),
                    );
                }
                Err(failure) => form.failed(failure, booking),
            }
        });
    };

    view! {
        <form class="checkout" on:submit=submit novalidate>
            <h2>"Checkout"</h2>
            <label>
                <span>"Name"</span>
                <input
                    type="text"
                    name="name"
                    autocomplete="name"
                    maxlength="100"
                    bind:value=name
                />
            </label>
            <label>
                <span>"Email"</span>
                <input type="email" name="email" autocomplete="email" bind:value=email />
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
                        format!("Pay {}", format_cents(booking.total()))
                    }
                }}
            </button>
        </form>
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
