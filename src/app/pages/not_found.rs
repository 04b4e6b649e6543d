//! The "not found" page, for unknown routes and for things a page could not find (404).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::app::status::set_status;

/// "Not found", with a 404 status when rendered on the server.
#[component]
pub fn NotFound(
    /// What was not found, e.g. "showtime".
    #[prop(into)]
    what: String,
) -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found · Marquee" />
        <section class="not-found">
            <h1>"Not found"</h1>
            <p>{format!("We could not find that {what}. It may have ended or never existed.")}</p>
            <p>
                <A href="/">"See what is showing"</A>
            </p>
        </section>
    }
}
