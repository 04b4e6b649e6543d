//! The seat map's legend: what each seat kind's colour and shape mean.

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
                <span class="swatch seat is-mine" aria-hidden="true" />
                "Held by you"
            </li>
            <li>
                <span class="swatch seat is-held" aria-hidden="true" />
                "Held by someone else"
            </li>
            <li>
                <span class="swatch seat is-sold" aria-hidden="true" />
                "Sold"
            </li>
        </ul>
    }
}
