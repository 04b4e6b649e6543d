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
//!
//! A showtime sold through an on-sale's waiting room also tells a session that took a place
//! in its queue where it stands (`queue.rs`), each `QUEUE_TICK_MS`.
//!
//! A connection is a [`Viewer`]: what it last sent (version, place in line) and where to send
//! it, with one handler per source of work (the feed, the client, the ping timer, a deferred
//! resync, shutdown), as mini-redis' `cmd/subscribe.rs` does.
//!
//! Limits, so that no client can wear the server down: sockets are counted per instance and
//! per client address before the upgrade ([`Sockets`](super::Sockets), `429` when full);
//! client messages are small (`MAX_MESSAGE`, else close `1009`); a send that does not
//! complete in `WS_SEND_TIMEOUT_SECS` (a client that stopped reading) ends the socket; a
//! client gets at most one snapshot a second (`resync.rs`) for its own `resync` requests (more
//! are folded into one, sent when the interval is up); showtimes that have started are
//! refused like unknown ones.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::StreamExt;
use futures_util::stream::{SplitSink, SplitStream};
use tokio::time::sleep_until;

use super::delta::{delta, text};
use super::event::SeatEvent;
use super::hub::{Feed, Subscription};
use super::queue::QueueWatch;
use super::resync::ResyncThrottle;
use super::sockets::{Admission, Closing};
use super::wire::{Refusal, Stop, is_too_big, send_within};
use crate::app::booking::{ClientMessage, LinePlace, ServerMessage};
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::booking::showtimes::ShowtimeInfo;
use crate::server::client::ClientIp;
use crate::server::limits::{Asker, Budget};
use crate::server::session::SessionId;
use crate::server::telemetry::metrics;

const PING_EVERY: Duration = Duration::from_secs(20);
const READ_BUFFER: usize = 4 * 1024;
/// Clients only send `{"type":"resync"}`; anything near this size is not one of ours.
const MAX_MESSAGE: usize = 4 * 1024;

pub async fn upgrade(
    ws: WebSocketUpgrade,
    Path(id): Path<String>,
    State(state): State<AppState>,
    Extension(session): Extension<SessionId>,
    Extension(client): Extension<ClientIp>,
) -> Result<Response, AppError> {
    let admitted = admit(&state, &session, client).await;
    metrics::live_connect(&admitted);
    let admission = admitted?;
    // Clients only ever send tiny messages: a small read buffer (the default is 128 KiB per
    // socket) is what lets one instance hold many thousands of viewers.
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve(socket, state, id, session, client, admission)))
}

async fn admit(
    state: &AppState,
    session: &SessionId,
    client: ClientIp,
) -> Result<Admission, AppError> {
    // Refused before the upgrade: a plain 429 with the usual error body. Connects are
    // budgeted per address across instances; open sockets are capped on this one.
    let asker = Asker {
        client,
        session: Some(session),
    };
    state.limiter.spend(Budget::SocketConnects, asker).await?;
    state.sockets.admit(&client)
}

async fn serve(
    socket: WebSocket,
    state: AppState,
    id: String,
    session: SessionId,
    client: ClientIp,
    admission: Admission,
) {
    let closing = state.sockets.closing();
    let (sink, mut stream) = socket.split();
    let Some((mut viewer, mut feed)) = Viewer::open(state, &id, &session, client, sink).await
    else {
        return;
    };
    // Err: the socket closed, or this viewer can no longer be served; either way, done.
    let _ = viewer.run(&mut feed, &mut stream, closing).await;
    // The place is given back only once the socket is really gone.
    drop(admission);
}

/// One connection: what it has been sent so far, and where to send the rest.
struct Viewer {
    state: AppState,
    showtime: Arc<ShowtimeInfo>,
    session: String,
    client: ClientIp,
    /// The showtime version the client has: the last snapshot's, or the last delta's.
    version: u64,
    /// The place in line the client was last told.
    place: Option<LinePlace>,
    sink: SplitSink<WebSocket, Message>,
    /// Anything at all from the client (a pong included) proves it is still there.
    last_heard: Instant,
    /// `WS_SEND_TIMEOUT_SECS`.
    send_timeout: Duration,
    /// When the client's last `resync` was answered, and whether another one waits.
    resync: ResyncThrottle,
}

impl Viewer {
    /// Finds the showtime, joins its feed and only *then* sends the first snapshot (see the
    /// module header). On failure, closes the socket with the reason and returns `None`.
    async fn open(
        state: AppState,
        id: &str,
        session: &SessionId,
        client: ClientIp,
        mut sink: SplitSink<WebSocket, Message>,
    ) -> Option<(Self, Subscription)> {
        let (showtime, feed) = match join(&state, id).await {
            Ok(joined) => joined,
            Err(refusal) => {
                let timeout = state.settings.ws_send_timeout;
                let _ = send_within(&mut sink, refusal.message(), timeout).await;
                return None;
            }
        };
        let send_timeout = state.settings.ws_send_timeout;
        let mut viewer = Viewer {
            state,
            showtime,
            session: session.as_str().to_string(),
            client,
            version: 0,
            place: None,
            sink,
            last_heard: Instant::now(),
            send_timeout,
            resync: ResyncThrottle::default(),
        };
        let Some(first) = viewer.snapshot().await else {
            let _ = viewer.send(Refusal::INTERNAL_ERROR.message()).await;
            return None;
        };
        viewer.send(first).await.ok()?;
        metrics::live_message("snapshot");
        Some((viewer, feed))
    }

    /// Serves the viewer until it goes away; each source of work has its own handler.
    async fn run(
        &mut self,
        feed: &mut Subscription,
        stream: &mut SplitStream<WebSocket>,
        mut closing: Closing,
    ) -> Result<(), Stop> {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let mut queue = QueueWatch::of(&self.showtime, self.state.settings.queue_tick);
        loop {
            tokio::select! {
                () = QueueWatch::tick(&mut queue) => self.on_queue(queue.as_mut()).await?,
                received = feed.recv() => self.on_feed(received.ok_or(Stop)?).await?,
                incoming = stream.next() => self.on_incoming(incoming).await?,
                _ = ping.tick() => self.on_ping().await?,
                _ = sleep_until(self.resync.due().into()), if self.resync.waiting() => {
                    self.asked_resync().await?
                }
                () = closing.wait() => {
                    let _ = self.send(Refusal::GOING_AWAY.message()).await;
                    return Err(Stop);
                }
            }
        }
    }

    async fn on_feed(&mut self, feed: Feed) -> Result<(), Stop> {
        match feed {
            Feed::Event(event) => self.on_event(&event).await,
            Feed::Interrupted => self.resync("interrupted").await,
        }
    }

    async fn on_event(&mut self, event: &SeatEvent) -> Result<(), Stop> {
        let Some(version) = event.version() else {
            return self.on_line(event).await;
        };
        match event {
            // Redis' state was rebuilt (a flush, a restart): no delta says what changed, and
            // whatever version the client has may be from before; always start over.
            SeatEvent::Rebuilt { .. } => self.resync("rebuilt").await,
            // Already in what the client has.
            _ if version <= self.version => Ok(()),
            _ if version == self.version + 1 => self.on_change(event, version).await,
            // A gap (an event lost in Redis pub/sub): the only safe answer is the whole
            // picture again.
            _ => self.resync("gap").await,
        }
    }

    /// The next change in order: this viewer's delta, then an offer if it is one to it.
    async fn on_change(&mut self, event: &SeatEvent, version: u64) -> Result<(), Stop> {
        self.version = version;
        self.send(text(&delta(event, version, &self.session)))
            .await?;
        metrics::live_message("delta");
        if event.is_offer_to(&self.session) {
            let offer = ServerMessage::Offer {
                seat_ids: event.seats().to_vec(),
                expires_in_ms: event.expires_in_ms().unwrap_or(0),
            };
            self.send(text(&offer)).await?;
            metrics::live_message("offer");
        }
        Ok(())
    }

    /// A change of the waiting line: sends this session's place if it moved.
    async fn on_line(&mut self, event: &SeatEvent) -> Result<(), Stop> {
        if !event.may_move_place(&self.session, self.place.is_some()) {
            return Ok(());
        }
        match self.state.line.place(self.showtime.id, &self.session).await {
            Ok(place) if place != self.place => {
                self.place = place;
                self.send(text(&ServerMessage::Line { place })).await?;
                metrics::live_message("line");
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(error) => {
                tracing::warn!(?error, "could not read a place in line");
                Ok(())
            }
        }
    }

    /// A tick of the on-sale's queue: this session's standing, if it changed.
    async fn on_queue(&mut self, queue: Option<&mut QueueWatch>) -> Result<(), Stop> {
        let Some(queue) = queue else { return Ok(()) };
        if let Some(message) = queue.check(&self.state, &self.session).await {
            self.send(text(&message)).await?;
            metrics::live_message("queue");
        }
        Ok(())
    }

    /// What the socket read: a message, the end, or an error (an oversized message gets its
    /// close code; any other error just ends the socket).
    async fn on_incoming(
        &mut self,
        incoming: Option<Result<Message, axum::Error>>,
    ) -> Result<(), Stop> {
        match incoming {
            Some(Ok(message)) => self.on_client(message).await,
            Some(Err(error)) => {
                if is_too_big(error) {
                    let _ = self.send(Refusal::TOO_BIG.message()).await;
                }
                Err(Stop)
            }
            None => Err(Stop),
        }
    }

    async fn on_client(&mut self, message: Message) -> Result<(), Stop> {
        self.last_heard = Instant::now();
        match message {
            Message::Text(text) => match serde_json::from_str::<ClientMessage>(&text) {
                Ok(ClientMessage::Resync) if self.resync.ask(Instant::now()) => {
                    self.asked_resync().await
                }
                // Folded into the one already due.
                Ok(ClientMessage::Resync) => Ok(()),
                Err(error) => {
                    tracing::debug!(%error, "ignoring a malformed client message");
                    Ok(())
                }
            },
            Message::Close(_) => Err(Stop),
            // Pongs and the like: proof of life, nothing to answer.
            _ => Ok(()),
        }
    }

    async fn on_ping(&mut self) -> Result<(), Stop> {
        // Two silent intervals (no pong, nothing at all): the peer is gone.
        if self.last_heard.elapsed() > PING_EVERY * 2 {
            return Err(Stop);
        }
        self.send(Message::Ping(Vec::new().into())).await
    }

    /// A snapshot the client asked for: within its address's budget (shared by all its
    /// sockets on every instance), else it waits for the throttle's next turn.
    async fn asked_resync(&mut self) -> Result<(), Stop> {
        let asker = Asker {
            client: self.client,
            session: None,
        };
        match self.state.limiter.spend(Budget::Resyncs, asker).await {
            Err(AppError::RateLimited { .. }) => {
                self.resync.answered(Instant::now());
                self.resync.ask(Instant::now());
                Ok(())
            }
            _ => self.resync("asked").await,
        }
    }

    /// Sends the whole picture again; the client starts over from its version. Whatever the
    /// reason (a metric label), it answers any `resync` the client has waiting.
    async fn resync(&mut self, reason: &'static str) -> Result<(), Stop> {
        let message = self.snapshot().await.ok_or(Stop)?;
        self.resync.answered(Instant::now());
        self.send(message).await?;
        metrics::live_message("snapshot");
        metrics::live_resync(reason);
        Ok(())
    }

    /// Reads the whole picture and makes it this viewer's baseline.
    async fn snapshot(&mut self) -> Option<Message> {
        let (state, showtime) = (&self.state, &self.showtime);
        let map = state
            .holds
            .snapshot(&state.db, showtime, &self.session)
            .await
            .ok()?;
        (self.version, self.place) = (map.version, map.line);
        let text = serde_json::to_string(&ServerMessage::Snapshot { state: map }).ok()?;
        Some(Message::Text(text.into()))
    }

    async fn send(&mut self, message: Message) -> Result<(), Stop> {
        send_within(&mut self.sink, message, self.send_timeout).await
    }
}

/// Parses the id, loads the showtime and joins its feed.
async fn join(state: &AppState, id: &str) -> Result<(Arc<ShowtimeInfo>, Subscription), Refusal> {
    let showtime = match id.parse::<i64>() {
        Ok(id) => state.showtimes.get(&state.db, id).await,
        Err(_) => Err(AppError::not_found("showtime")),
    };
    let showtime = match showtime {
        Ok(showtime) if showtime.has_started() => return Err(Refusal::SHOWTIME_OVER),
        Ok(showtime) => showtime,
        Err(AppError::NotFound { .. }) => return Err(Refusal::UNKNOWN_SHOWTIME),
        Err(_) => return Err(Refusal::INTERNAL_ERROR),
    };
    let channel = state.holds.keys(showtime.id).channel();
    match state.live.join(showtime.id, channel).await {
        Ok(feed) => Ok((showtime, feed)),
        Err(_) => Err(Refusal::FEED_UNAVAILABLE),
    }
}
