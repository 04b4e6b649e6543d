//! `/admin/auditoriums/:id` (or `new?theater=<id>`): the layout editor.
//!
//! The layout is text (`admin::layout`), one line per grid row; beside it a live preview
//! draws the room as the public seat map will, and each cell of the preview is a button that
//! cycles the cell through gap → standard → premium → wheelchair → companion, editing the
//! text. Without JavaScript the text alone is the editor; the server parses it again and
//! refuses a layout that drops or renumbers a seat with tickets.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::Frame;
use crate::app::admin::AuditoriumEdit;
use crate::app::admin::api::auditorium;
use crate::app::admin::layout::{self, Layout};
use crate::app::pages::ErrorPanel;

#[component]
pub fn AdminAuditorium() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let ids = move || {
        let id = match params.read().get("id").as_deref() {
            Some("new") => Some(0),
            Some(id) => id.parse::<i64>().ok(),
            None => None,
        };
        let theater = query
            .read()
            .get("theater")
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(0);
        (id, theater)
    };
    let data = Resource::new(ids, |(id, theater)| async move {
        match id {
            Some(id) => auditorium(id, theater).await,
            None => Err(crate::app::error::AppError::not_found("auditorium")),
        }
    });
    view! {
        <Frame title="Room and layout".into()>
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(room) => view! { <Editor room /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error what="auditorium" /> }.into_any(),
                    }
                })}
            </Suspense>
        </Frame>
    }
}

#[component]
fn Editor(room: AuditoriumEdit) -> impl IntoView {
    let text = RwSignal::new(room.layout.clone());
    let parsed = Memo::new(move |_| text.with(|t| layout::parse(t)));
    let locked = room.locked_seats.clone();
    let locked_note = (!locked.is_empty()).then(|| {
        view! {
            <p class="hint" id="locked-seats">
                {format!("Seats with tickets keep their row and number: {}.", locked.join(", "))}
            </p>
        }
    });
    view! {
        <p>{format!("Theater: {}", room.theater)}</p>
        <div class="layout-editor">
            <form method="post" action="/api/admin/catalog/auditorium" class="staff-form">
                <input type="hidden" name="id" value=room.id.to_string() />
                <input type="hidden" name="theater_id" value=room.theater_id.to_string() />
                <label>"Name" <input name="name" required maxlength="100" value=room.name /></label>
                <label>
                    "Layout: one line per row, “label: seats”. s standard, p premium, w wheelchair, c companion, . gap; an empty line is a cross aisle."
                    <textarea
                        name="layout"
                        rows="14"
                        spellcheck="false"
                        class="layout-text"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    >
                        {room.layout.clone()}
                    </textarea>
                </label>
                {locked_note}
                <button type="submit">"Save the room"</button>
            </form>
            <section class="layout-preview" aria-labelledby="preview-h">
                <h2 id="preview-h">"Preview"</h2>
                {move || match parsed.get() {
                    Ok(layout) => preview(layout, text).into_any(),
                    Err(error) => {
                        view! {
                            <p class="notice error" role="status" id="layout-error">
                                {error}
                            </p>
                        }
                            .into_any()
                    }
                }}
            </section>
        </div>
    }
}

/// The room as the public map draws it, each cell a button (one column more and one row
/// more than the layout, to grow it).
fn preview(layout: Layout, text: RwSignal<String>) -> impl IntoView {
    let rows = layout.grid_rows + 1;
    let cols = layout.grid_cols + 1;
    let seats = layout.seats.len();
    let mut cells = Vec::new();
    for row in 1..=rows {
        for col in 1..=cols {
            let seat = layout
                .seats
                .iter()
                .find(|s| s.grid_row == row && s.grid_col == col)
                .cloned();
            let (label, kind) = match &seat {
                Some(s) => (
                    format!("{}{}, {}", s.row_label, s.number, s.kind.label()),
                    s.kind.as_str(),
                ),
                None => (format!("Gap at row {row}, column {col}"), "gap"),
            };
            let text_of = seat
                .map(|s| format!("{}{}", s.row_label, s.number))
                .unwrap_or_default();
            let click = move |_| {
                text.update(|t| *t = layout::cycle_cell(t, row as usize, col as usize));
            };
            cells.push(view! {
                <button
                    type="button"
                    class=format!("cell {kind}")
                    style=format!("grid-row: {row}; grid-column: {col}")
                    aria-label=label
                    data-kind=kind
                    on:click=click
                >
                    {text_of}
                </button>
            });
        }
    }
    view! {
        <p id="preview-count">{format!("{seats} seats")}</p>
        <div class="layout-grid" style=format!("--cols: {cols}; --rows: {rows}")>
            {cells}
        </div>
    }
}
