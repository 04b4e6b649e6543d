use leptos::prelude::*;

use crate::app::catalog::SeatKind;

/// What the seat colours and shapes mean.
#[component]
pub fn Legend() -> impl IntoView {
    let kinds = SeatKind::ALL
        .into_iter()
        .map(|kind| {
            view! {
                <li>
                    <span class=format!("swatch seat seat--{}", kind.as_str()) aria-hidden="true" />
                    {kind.label()}
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="legend" aria-label="Legend">
            {kinds}
            <li>
                <span class="swatch seat selected" aria-hidden="true" />
                "Your selection"
            </li>
        </ul>
    }
}
