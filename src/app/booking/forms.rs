//! The booking path without JavaScript: plain HTML forms that post to the server functions
//! below (`/api/forms/…`, form-encoded), which call the same booking functions as the JSON
//! API and answer `303 See Other` back to the showtime page (or on to the order page).
//!
//! Every control of the showtime page is such a form or a button of one: a seat's button
//! submits the seat map's form to `hold` or `release`, "Best available", "Extend", joining,
//! leaving and declining the line, and checkout. Once the page is hydrated, the same controls
//! are handled in the browser instead (each handler calls `prevent_default`), so both paths
//! share one markup and one set of server functions behind it.
//!
//! What a redirect cannot carry, the next render of the page gets from [`PageExtras`]: the
//! outcome as a notice (a short-lived cookie read and cleared by that render), the hold's
//! expiry as a time of day (the countdown needs JavaScript), and the purchase key checkout
//! must reuse for an attempt that got no definitive answer (a cookie, like the tab storage
//! the hydrated page keeps it in).

use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;
use serde::{Deserialize, Serialize};

use super::api::seat_map;
use super::model::SeatMapState;
use super::state::Notice;
use crate::app::error::AppError;

/// What the showtime page's first render needs beyond the seat map's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageExtras {
    /// The outcome of the form just posted, if it has something to say.
    pub notice: Option<Notice>,
    /// Whether that outcome belongs to checkout (shown in its form).
    pub checkout_error: Option<String>,
    /// Name and email a failed checkout was posted with, to fill the form again (never the
    /// card number).
    pub buyer: Option<(String, String)>,
    /// When the hold ends, on the theater's clock ("19:04:31").
    pub hold_until: Option<String>,
    /// The idempotency key of a checkout posted as a form: the unanswered attempt's for the
    /// same seats, else a fresh one.
    pub purchase_key: String,
}

/// The showtime page's data for this visitor: every seat's state and, rendered on the
/// server, [`PageExtras`]. (In the browser, on a client-side navigation, the extras are left
/// empty: they serve the page without JavaScript.)
pub async fn page_state(showtime_id: i64) -> Result<(SeatMapState, PageExtras), AppError> {
    let state = seat_map(showtime_id).await?;
    #[cfg(feature = "ssr")]
    let extras = crate::server::booking::forms::page_extras(&state).await?;
    #[cfg(not(feature = "ssr"))]
    let extras = PageExtras::default();
    Ok((state, extras))
}

/// Holds one more seat (the seat map's buttons).
#[server(prefix = "/api/forms", endpoint = "hold", input = PostUrl)]
pub async fn hold_seat_form(showtime_id: i64, seat_id: i64) -> Result<(), AppError> {
    crate::server::booking::forms::hold(showtime_id, seat_id).await
}

/// Releases one held seat (the seat map's buttons of seats held by the caller).
#[server(prefix = "/api/forms", endpoint = "release", input = PostUrl)]
pub async fn release_seat_form(showtime_id: i64, seat_id: i64) -> Result<(), AppError> {
    crate::server::booking::forms::release(showtime_id, seat_id).await
}

/// Best available: `count` seats, of `kind` (empty: any).
#[server(prefix = "/api/forms", endpoint = "best", input = PostUrl)]
pub async fn best_form(showtime_id: i64, count: u32, kind: String) -> Result<(), AppError> {
    crate::server::booking::forms::best(showtime_id, count, kind).await
}

/// Adds time to the hold.
#[server(prefix = "/api/forms", endpoint = "extend", input = PostUrl)]
pub async fn extend_form(showtime_id: i64) -> Result<(), AppError> {
    crate::server::booking::forms::extend(showtime_id).await
}

/// Joins the waiting line for `party` seats.
#[server(prefix = "/api/forms", endpoint = "line/join", input = PostUrl)]
pub async fn join_line_form(showtime_id: i64, party: u32) -> Result<(), AppError> {
    crate::server::booking::forms::join_line(showtime_id, party).await
}

/// Leaves the waiting line.
#[server(prefix = "/api/forms", endpoint = "line/leave", input = PostUrl)]
pub async fn leave_line_form(showtime_id: i64) -> Result<(), AppError> {
    crate::server::booking::forms::leave_line(showtime_id).await
}

/// Declines the seats the line offered.
#[server(prefix = "/api/forms", endpoint = "line/decline", input = PostUrl)]
pub async fn decline_form(showtime_id: i64) -> Result<(), AppError> {
    crate::server::booking::forms::decline(showtime_id).await
}

/// Checkout: pays for the held `seats` (ids, comma-separated) under the purchase `key`.
#[server(prefix = "/api/forms", endpoint = "purchase", input = PostUrl)]
pub async fn purchase_form(
    showtime_id: i64,
    seats: String,
    key: String,
    name: String,
    email: String,
    card: String,
) -> Result<(), AppError> {
    let form = CheckoutPost {
        showtime_id,
        seats,
        key,
        name,
        email,
        card,
    };
    crate::server::booking::forms::purchase(form).await
}

/// A checkout posted as a form.
#[derive(Debug, Clone)]
pub struct CheckoutPost {
    pub showtime_id: i64,
    pub seats: String,
    pub key: String,
    pub name: String,
    pub email: String,
    pub card: String,
}

/// The form `action`s, for the markup.
pub mod action {
    pub const HOLD: &str = "/api/forms/hold";
    pub const RELEASE: &str = "/api/forms/release";
    pub const BEST: &str = "/api/forms/best";
    pub const EXTEND: &str = "/api/forms/extend";
    pub const JOIN_LINE: &str = "/api/forms/line/join";
    pub const LEAVE_LINE: &str = "/api/forms/line/leave";
    pub const DECLINE: &str = "/api/forms/line/decline";
    pub const PURCHASE: &str = "/api/forms/purchase";
}

/// The hidden field every form carries.
#[component]
pub fn ShowtimeField(showtime_id: i64) -> impl IntoView {
    view! { <input type="hidden" name="showtime_id" value=showtime_id.to_string() /> }
}

/// A booking form of the showtime page: posted to `action` without JavaScript; once
/// hydrated, submitting it runs `on_submit` instead.
#[component]
pub fn PostForm(
    action: &'static str,
    showtime_id: i64,
    on_submit: impl Fn() + 'static,
    children: Children,
) -> impl IntoView {
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_submit();
    };
    view! {
        <form method="post" action=action on:submit=submit>
            <ShowtimeField showtime_id />
            {children()}
        </form>
    }
}
