//! What a live socket puts on the wire besides seat messages: close frames with their codes
//! and reasons, and sends that give up on a client that stopped reading.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt};

use crate::app::booking::{CLOSE_SHOWTIME_OVER, CLOSE_UNKNOWN_SHOWTIME};

/// Standard close code for "the server hit an unexpected condition".
const CLOSE_INTERNAL_ERROR: u16 = 1011;
/// Standard close code for "the endpoint is going away" (server shutdown).
const CLOSE_GOING_AWAY: u16 = 1001;
/// Standard close code for "message too big".
const CLOSE_TOO_BIG: u16 = 1009;

/// Stop serving this viewer: its socket is gone, or no snapshot could be read for it.
pub struct Stop;

/// Why the server closes a socket: the code and the reason it sends.
#[derive(Clone, Copy)]
pub struct Refusal {
    code: u16,
    reason: &'static str,
}

impl Refusal {
    const fn new(code: u16, reason: &'static str) -> Self {
        Self { code, reason }
    }

    pub const UNKNOWN_SHOWTIME: Self = Self::new(CLOSE_UNKNOWN_SHOWTIME, "unknown showtime");
    pub const SHOWTIME_OVER: Self = Self::new(CLOSE_SHOWTIME_OVER, "showtime over");
    pub const INTERNAL_ERROR: Self = Self::new(CLOSE_INTERNAL_ERROR, "internal error");
    pub const FEED_UNAVAILABLE: Self = Self::new(CLOSE_INTERNAL_ERROR, "live feed unavailable");
    pub const GOING_AWAY: Self = Self::new(CLOSE_GOING_AWAY, "server shutting down");
    pub const TOO_BIG: Self = Self::new(CLOSE_TOO_BIG, "message too big");

    pub fn message(self) -> Message {
        Message::Close(Some(CloseFrame {
            code: self.code,
            reason: self.reason.into(),
        }))
    }
}

/// Sends one message, giving up after `timeout`: a client that stopped reading fills the
/// socket's buffers, and without a limit its task would wait (and hold its memory) forever.
pub async fn send_within<S: Sink<Message> + Unpin>(
    sink: &mut S,
    message: Message,
    timeout: Duration,
) -> Result<(), Stop> {
    match tokio::time::timeout(timeout, sink.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Stop),
        Err(_) => {
            tracing::info!("live socket closed: its client stopped reading");
            Err(Stop)
        }
    }
}

/// Whether a read failed because the client sent more than the socket's message limit.
pub fn is_too_big(error: axum::Error) -> bool {
    error
        .into_inner()
        .downcast::<tungstenite::Error>()
        .is_ok_and(|error| matches!(*error, tungstenite::Error::Capacity(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that never has room: a client that stopped reading, with full buffers.
    struct Stuck;

    impl Sink<Message> for Stuck {
        type Error = ();
        fn poll_ready(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), ()>> {
            std::task::Poll::Pending
        }
        fn start_send(self: std::pin::Pin<&mut Self>, _: Message) -> Result<(), ()> {
            Ok(())
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), ()>> {
            std::task::Poll::Pending
        }
        fn poll_close(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), ()>> {
            std::task::Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_send_to_a_client_that_stopped_reading_gives_up() {
        let mut stuck = Stuck;
        let sent = send_within(
            &mut stuck,
            Message::Text("x".into()),
            Duration::from_millis(50),
        );
        let outcome = tokio::time::timeout(Duration::from_secs(10), sent).await;
        assert!(matches!(outcome, Ok(Err(Stop))));
    }
}
