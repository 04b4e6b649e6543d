//! `/admin/box`: the counter's page: check a ticket in (its QR code's token, as a scanner
//! types it), refund an order by its code.

use leptos::prelude::*;

use super::Frame;

#[component]
pub fn AdminBox() -> impl IntoView {
    view! {
        <Frame title="Box office".into()>
            <form method="post" action="/api/admin/box/check-in" class="staff-form" id="check-in">
                <h2>"Check in"</h2>
                <label>
                    "Ticket (scan the QR code)"
                    <input name="ticket" required autocomplete="off" autofocus />
                </label>
                <button type="submit">"Check in"</button>
            </form>
            <form method="post" action="/api/admin/box/refund" class="staff-form" id="refund">
                <h2>"Refund an order"</h2>
                <input type="hidden" name="back" value="/admin/box" />
                <label>"Order code" <input name="code" required autocomplete="off" /></label>
                <button type="submit">"Refund"</button>
            </form>
        </Frame>
    }
}
