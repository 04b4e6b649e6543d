//! The browser's end of the live seat feed: a WebSocket whose messages feed the booking
//! state's per-seat signals, reconnecting with backoff and resyncing on any gap.

mod protocol;
#[cfg(feature = "hydrate")]
mod socket;

pub use protocol::{
    CLOSE_SHOWTIME_OVER, CLOSE_UNKNOWN_SHOWTIME, ClientMessage, SeatChange, ServerMessage,
};

use leptos::prelude::*;

use super::state::BookingState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Live,
    Reconnecting,
    /// The server refused the feed for good (unknown showtime, or one that has started).
    Unavailable,
}

impl LiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "connecting",
            LiveStatus::Live => "live",
            LiveStatus::Reconnecting => "reconnecting",
            LiveStatus::Unavailable => "unavailable",
        }
    }

    fn label(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "Connecting…",
            LiveStatus::Live => "Live",
            LiveStatus::Reconnecting => "Reconnecting…",
            LiveStatus::Unavailable => "Live updates unavailable",
        }
    }
}

/// Applies a server message; returns the message to send back, if any (a resync request
/// when a delta does not follow the version the page has).
pub fn apply_message(booking: &BookingState, message: ServerMessage) -> Option<ClientMessage> {
    match message {
        ServerMessage::Snapshot { state } => {
            booking.apply_snapshot(&state);
            None
        }
        ServerMessage::Delta {
            version,
            changes,
            hold_expires_in_ms,
        } => (!booking.apply_delta(version, &changes, hold_expires_in_ms))
            .then_some(ClientMessage::Resync),
        ServerMessage::Line { place } => {
            booking.line.set(place);
            None
        }
        ServerMessage::Offer {
            seat_ids,
            expires_in_ms,
        } => {
            booking.apply_offer(&seat_ids, expires_in_ms);
            None
        }
        ServerMessage::Queue { status } => {
            booking.queue.set(Some(status));
            None
        }
    }
}

/// Opens the showtime's live feed once the page is interactive; closes it when the page goes.
pub fn connect_live(booking: BookingState) -> RwSignal<LiveStatus> {
    let status = RwSignal::new(LiveStatus::Connecting);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let feed = StoredValue::new_local(socket::LiveFeed::open(booking, status));
        on_cleanup(move || feed.with_value(|feed| feed.stop()));
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = booking;
    status
}

/// Shows whether the seat map is live.
#[component]
pub fn LiveIndicator(status: RwSignal<LiveStatus>) -> impl IntoView {
    // Without JavaScript there is no feed: the map is as of the page's loading.
    let js = crate::app::platform::hydrated();
    let label = move || {
        if js.get() {
            status.get().label()
        } else {
            "Not live: reload the page for changes"
        }
    };
    view! {
        <span class="live-status" data-live=move || status.get().as_str() role="status">
            <span class="dot" aria-hidden="true"></span>
            {label}
        </span>
    }
}
