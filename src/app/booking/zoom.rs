//! Moving the seat map on a small screen: it scrolls inside its own viewport, seats never
//! smaller than 24 CSS px; buttons zoom it in and out and move it in each direction (nothing
//! needs a drag or a pinch), and it opens on the middle of the room. Scrolling is instant:
//! nothing moves on its own.

use leptos::html;
use leptos::prelude::*;

/// Seat sizes of the zoom levels, in rem: the smallest keeps seats at 24 CSS px.
pub const ZOOM_REM: [f64; 4] = [1.5, 2.0, 2.5, 3.0];

/// How far a pan button moves the map: most of what is in view, less a little overlap.
const PAN_SHARE: f64 = 0.6;

/// Zoom and pan buttons for the map's viewport: every move a drag or a pinch would make,
/// by a button press.
#[component]
pub fn ZoomPan(
    viewport: NodeRef<html::Div>,
    zoom: RwSignal<Option<usize>>,
    hidden: RwSignal<bool>,
) -> impl IntoView {
    // Zooming keeps the middle of what was in view in the middle.
    let set_zoom = move |level: usize| {
        let Some(el) = viewport.get_untracked() else {
            return;
        };
        let (w, h) = (el.client_width() as f64, el.client_height() as f64);
        let at_x = (el.scroll_left() as f64 + w / 2.0) / (el.scroll_width() as f64).max(1.0);
        let at_y = (el.scroll_top() as f64 + h / 2.0) / (el.scroll_height() as f64).max(1.0);
        zoom.set(Some(level));
        // The new size applies on the next frame's layout; read it then.
        request_animation_frame(move || {
            el.set_scroll_left((at_x * el.scroll_width() as f64 - w / 2.0) as i32);
            el.set_scroll_top((at_y * el.scroll_height() as f64 - h / 2.0) as i32);
        });
    };
    let level = move || zoom.get().unwrap_or(0);
    let at_most = move || level() + 1 == ZOOM_REM.len();
    let zoom_in = move |_| set_zoom((level() + 1).min(ZOOM_REM.len() - 1));
    let zoom_out = move |_| set_zoom(level().saturating_sub(1));
    let pan = move |dx: f64, dy: f64| {
        if let Some(el) = viewport.get_untracked() {
            let step_x = el.client_width() as f64 * PAN_SHARE;
            let step_y = el.client_height() as f64 * PAN_SHARE;
            el.set_scroll_left(el.scroll_left() + (dx * step_x) as i32);
            el.set_scroll_top(el.scroll_top() + (dy * step_y) as i32);
        }
    };
    let reset = move |_| {
        zoom.set(None);
        if let Some(el) = viewport.get_untracked() {
            request_animation_frame(move || centre(&el));
        }
    };
    view! {
        <div class="zoom-pan" role="group" aria-label="Move the seat map" class:hidden=hidden>
            <button type="button" aria-label="Zoom in" on:click=zoom_in disabled=at_most>
                "+"
            </button>
            <button
                type="button"
                aria-label="Zoom out"
                on:click=zoom_out
                disabled=move || level() == 0
            >
                "−"
            </button>
            <button type="button" aria-label="Move left" on:click=move |_| pan(-1.0, 0.0)>
                "←"
            </button>
            <button type="button" aria-label="Move up" on:click=move |_| pan(0.0, -1.0)>
                "↑"
            </button>
            <button type="button" aria-label="Move down" on:click=move |_| pan(0.0, 1.0)>
                "↓"
            </button>
            <button type="button" aria-label="Move right" on:click=move |_| pan(1.0, 0.0)>
                "→"
            </button>
            <button type="button" aria-label="Back to the middle" on:click=reset>
                "⊙"
            </button>
        </div>
    }
}

/// Scrolls the viewport to the middle of the room: the centre column, two thirds back.
pub fn centre(el: &leptos::web_sys::HtmlDivElement) {
    let (w, h) = (el.client_width(), el.client_height());
    el.set_scroll_left((el.scroll_width() - w) / 2);
    el.set_scroll_top((el.scroll_height() * 2 / 3 - h / 2).max(0));
}
