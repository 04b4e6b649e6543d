//! How a page shows a failed server call: the error in place of its content, with the
//! matching HTTP status on the server render.

use leptos::prelude::*;

use super::NotFound;
use crate::app::error::AppError;
use crate::app::status::set_status;

/// Shows an error from a server function in place of a page's content, with the matching
/// status code on the server-rendered response.
#[component]
pub fn ErrorPanel(error: AppError, #[prop(into)] what: String) -> impl IntoView {
    if let AppError::NotFound { .. } = error {
        return view! { <NotFound what /> }.into_any();
    }
    set_status(error.status_code());
    view! {
        <section class="error-panel" role="alert">
            <h1>"Something went wrong"</h1>
            <p>{error.to_string()}</p>
        </section>
    }
    .into_any()
}
