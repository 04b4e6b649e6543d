//! The WebSocket itself (browser only).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::{
    CLOSE_SHOWTIME_OVER, CLOSE_UNKNOWN_SHOWTIME, LiveStatus, ServerMessage, apply_message,
};
use crate::app::booking::state::BookingState;

struct Connection {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

pub struct LiveFeed {
    booking: BookingState,
    status: RwSignal<LiveStatus>,
    url: String,
    connection: RefCell<Option<Connection>>,
    attempts: Cell<u32>,
    stopped: Cell<bool>,
}

impl LiveFeed {
    pub fn open(booking: BookingState, status: RwSignal<LiveStatus>) -> Rc<Self> {
        let location = window().location();
        let scheme = match location.protocol().as_deref() {
            Ok("https:") => "wss",
            _ => "ws",
        };
        let host = location.host().unwrap_or_default();
        let feed = Rc::new(Self {
            booking,
            status,
            url: format!("{scheme}://{host}/ws/showtimes/{}", booking.showtime_id),
            connection: RefCell::new(None),
            attempts: Cell::new(0),
            stopped: Cell::new(false),
        });
        Self::connect(&feed);
        feed
    }

    pub fn stop(&self) {
        self.stopped.set(true);
        let Some(connection) = self.connection.borrow_mut().take() else {
            return;
        };
        // The browser may still fire the socket's events (its close, a last message), and
        // `stop` itself may run inside one of them (a message that ends the page): detach the
        // handlers first, and drop them only once this turn of the event loop is over, so no
        // event ever reaches a dropped (or running) closure.
        let socket = &connection.socket;
        socket.set_onopen(None);
        socket.set_onmessage(None);
        socket.set_onclose(None);
        let _ = socket.close();
        set_timeout(move || drop(connection), Duration::ZERO);
    }

    fn connect(feed: &Rc<Self>) {
        if feed.stopped.get() {
            return;
        }
        let socket = match WebSocket::new(&feed.url) {
            Ok(socket) => socket,
            Err(_) => return Self::retry(feed),
        };
        let on_open = {
            let feed = feed.clone();
            Closure::<dyn FnMut()>::new(move || {
                feed.attempts.set(0);
                feed.status.set(LiveStatus::Live);
            })
        };
        let on_message = {
            let (feed, socket) = (feed.clone(), socket.clone());
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let Some(text) = event.data().as_string() else {
                    return;
                };
                let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else {
                    leptos::logging::warn!("ignoring an unreadable live message");
                    return;
                };
                if let Some(reply) = apply_message(&feed.booking, message)
                    && let Ok(text) = serde_json::to_string(&reply)
                {
                    let _ = socket.send_with_str(&text);
                }
            })
        };
        let on_close = {
            let feed = feed.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
                if feed.stopped.get() {
                    return;
                }
                // Refusals for good: reconnecting would only be refused again.
                if matches!(event.code(), CLOSE_UNKNOWN_SHOWTIME | CLOSE_SHOWTIME_OVER) {
                    feed.status.set(LiveStatus::Unavailable);
                    return;
                }
                feed.status.set(LiveStatus::Reconnecting);
                Self::retry(&feed);
            })
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *feed.connection.borrow_mut() = Some(Connection {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        });
    }

    /// Reconnects after 0.25 s, 0.5 s, 1 s … up to 10 s, with jitter so that a restarted
    /// server is not hit by every browser at once. The snapshot on reconnect resyncs.
    fn retry(feed: &Rc<Self>) {
        let attempt = feed.attempts.get();
        feed.attempts.set(attempt + 1);
        let base = (250u64 << attempt.min(6)).min(10_000);
        let jitter = (js_sys::Math::random() * base as f64 * 0.3) as u64;
        let feed = feed.clone();
        set_timeout(
            move || Self::connect(&feed),
            Duration::from_millis(base + jitter),
        );
    }
}
