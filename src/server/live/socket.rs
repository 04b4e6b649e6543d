//! `GET /ws/showtimes/{id}`: the live seat feed of one showtime for one browser.
//!
//! Order matters: join the Redis feed first, then read the snapshot, then forward only events
//! newer than the snapshot. A change made between the two is then either in the snapshot or
//! arrives as an event, never lost. Any doubt (lagging behind the broadcast, a version gap, a
//! lost Redis connection, a `resync` from the client) is answered with a fresh snapshot.
//!
//! The waiting line rides on the same feed: `line` events (no version) make every socket whose
//! place they may move (its own join, or anyone leaving or being served while it waits) look
//! its position up in Redis and send it if it moved, and a `held` event that is an offer to
//! this socket's session is followed by an `offer` message.

use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::hub::{Event, Feed};
use crate::app::booking::{
    CLOSE_UNKNOWN_SHOWTIME, ClientMessage, LinePlace, SeatChange, SeatState, ServerMessage,
};
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::session::SessionId;

const PING_EVERY: Duration = Duration::from_secs(20);
const READ_BUFFER: usize = 4 * 1024;

pub async fn upgrade(
    ws: WebSocketUpgrade,
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(session): Extension<SessionId>,
) -> Response {
    // Clients only ever send tiny messages: a small read buffer (the default is 128 KiB per
    // socket) is what lets one instance hold many thousands of viewers.
    ws.read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| serve(socket, state, id, session))
}

async fn serve(socket: WebSocket, state: AppState, id: String, session: SessionId) {
    let (mut sink, mut stream) = socket.split();
    let close = |code: u16, reason: &'static str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    };
    let showtime = match id.parse::<i64>() {
        Ok(id) => state.showtimes.get(&state.db, id).await,
        Err(_) => Err(AppError::not_found("showtime")),
    };
    let showtime = match showtime {
        Ok(showtime) => showtime,
        Err(AppError::NotFound { .. }) => {
            let _ = sink
                .send(close(CLOSE_UNKNOWN_SHOWTIME, "unknown showtime"))
                .await;
            return;
        }
        Err(_) => {
            let _ = sink.send(close(1011, "internal error")).await;
            return;
        }
    };
    let session = session.as_str().to_string();
    let channel = state.holds.keys(showtime.id).channel();
    let mut feed = match state.live.join(showtime.id, channel).await {
        Ok(feed) => feed,
        Err(_) => {
            let _ = sink.send(close(1011, "live feed unavailable")).await;
            return;
        }
    };

    let snapshot = async || -> Option<(u64, Option<LinePlace>, Message)> {
        let state = state
            .holds
            .snapshot(&state.db, &showtime, &session)
            .await
            .ok()?;
        let (version, place) = (state.version, state.line);
        let text = serde_json::to_string(&ServerMessage::Snapshot { state }).ok()?;
        Some((version, place, Message::Text(text.into())))
    };
    let Some((mut version, mut place, first)) = snapshot().await else {
        let _ = sink.send(close(1011, "internal error")).await;
        return;
    };
    if sink.send(first).await.is_err() {
        return;
    }

    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut last_heard = Instant::now();
    loop {
        let outgoing = tokio::select! {
            received = feed.receiver.recv() => match received {
                Ok(Feed::Event(event)) if event.kind == "line" => {
                    // Only this session's own join, or someone leaving the line while this
                    // session waits in it, can move its place.
                    let concerned = event.sessions.contains(&session)
                        || (place.is_some() && event.change.as_deref() != Some("joined"));
                    if !concerned {
                        continue;
                    }
                    match state.line.place(showtime.id, &session).await {
                        Ok(now) if now != place => {
                            place = now;
                            Some(text(&ServerMessage::Line { place }))
                        }
                        Ok(_) => None,
                        Err(error) => {
                            tracing::warn!(?error, "could not read a place in line");
                            None
                        }
                    }
                }
                Ok(Feed::Event(event)) if event.version <= version => continue,
                Ok(Feed::Event(event)) if event.version == version + 1 && event.kind != "rebuilt" => {
                    version = event.version;
                    let delta = delta(&event, &session);
                    if event.offer && event.holder.as_deref() == Some(session.as_str()) {
                        if sink.send(delta).await.is_err() {
                            break;
                        }
                        let expires_in_ms = match (event.expires_at, event.now) {
                            (Some(expires_at), Some(now)) => (expires_at - now).max(0),
                            _ => 0,
                        };
                        Some(text(&ServerMessage::Offer {
                            seat_ids: event.seats.clone(),
                            expires_in_ms,
                        }))
                    } else {
                        Some(delta)
                    }
                }
                // A gap (an event lost in Redis pub/sub), a lag behind the broadcast, an
                // interrupted feed, or sold seats rebuilt from Postgres: the only safe answer
                // is the whole picture again.
                Ok(Feed::Event(_)) | Ok(Feed::Interrupted) | Err(RecvError::Lagged(_)) => {
                    match snapshot().await {
                        Some((fresh, line, message)) => {
                            (version, place) = (fresh, line);
                            Some(message)
                        }
                        None => break,
                    }
                }
                Err(RecvError::Closed) => break,
            },
            incoming = stream.next() => {
                last_heard = Instant::now();
                match incoming {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(ClientMessage::Resync) => match snapshot().await {
                            Some((fresh, line, message)) => {
                                (version, place) = (fresh, line);
                                Some(message)
                            }
                            None => break,
                        },
                        Err(error) => {
                            tracing::debug!(%error, "ignoring a malformed client message");
                            None
                        }
                    },
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => None,
                }
            },
            _ = ping.tick() => {
                // Two silent intervals (no pong, nothing at all): the peer is gone.
                if last_heard.elapsed() > PING_EVERY * 2 {
                    break;
                }
                Some(Message::Ping(Vec::new().into()))
            }
        };
        if let Some(message) = outgoing
            && sink.send(message).await.is_err()
        {
            break;
        }
    }
}

/// The event as this connection sees it: its own holds are `mine`, others' are `held`.
fn delta(event: &Event, session: &str) -> Message {
    let own = event.holder.as_deref() == Some(session);
    let state = match event.kind.as_str() {
        "held" if own => Some(SeatState::Mine),
        "held" => Some(SeatState::Held),
        "released" | "expired" => Some(SeatState::Available),
        "sold" => Some(SeatState::Sold),
        // "extended" changes no seat; others only see the version move on.
        _ => None,
    };
    let changes = state
        .map(|state| {
            event
                .seats
                .iter()
                .map(|&seat| SeatChange { seat, state })
                .collect()
        })
        .unwrap_or_default();
    let hold_expires_in_ms = match (own, event.expires_at, event.now) {
        (true, Some(expires_at), Some(now)) => Some((expires_at - now).max(0)),
        _ => None,
    };
    text(&ServerMessage::Delta {
        version: event.version,
        changes,
        hold_expires_in_ms,
    })
}

fn text(message: &ServerMessage) -> Message {
    Message::Text(serde_json::to_string(message).unwrap_or_default().into())
}
