//! One Redis subscription per watched showtime per instance, fanned out in process.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Mutex, broadcast};
use tokio::task::JoinHandle;

use super::event::SeatEvent;
use crate::app::error::AppError;

/// What a viewer receives: an event, or "the feed was interrupted, resynchronise".
#[derive(Debug, Clone)]
pub enum Feed {
    /// Decoded once here, shared by every viewer of the showtime.
    Event(Arc<SeatEvent>),
    /// Events may have been lost: the Redis connection dropped, or this viewer fell further
    /// behind than the broadcast buffer.
    Interrupted,
}

struct Entry {
    sender: broadcast::Sender<Feed>,
    viewers: usize,
    task: JoinHandle<()>,
}

#[derive(Clone)]
pub struct LiveHub {
    client: redis::Client,
    buffer: usize,
    channels: Arc<Mutex<HashMap<i64, Entry>>>,
}

/// A viewer's place in a showtime's feed; leaving (drop) unsubscribes the last one.
pub struct Subscription {
    receiver: broadcast::Receiver<Feed>,
    showtime: i64,
    hub: LiveHub,
}

impl Subscription {
    /// The next thing this viewer must act on; `None` once the feed is gone. Lagging behind
    /// the broadcast comes out as `Interrupted`: either way, the missed events are unknown.
    /// Cancel safe (as `broadcast::Receiver::recv`), so it can sit in a `select!`.
    pub async fn recv(&mut self) -> Option<Feed> {
        match self.receiver.recv().await {
            Ok(feed) => Some(feed),
            Err(RecvError::Lagged(_)) => Some(Feed::Interrupted),
            Err(RecvError::Closed) => None,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let (hub, showtime) = (self.hub.clone(), self.showtime);
        // Drop cannot wait for the lock; the bookkeeping happens right after (unless the
        // runtime itself is going away, and the hub with it).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { hub.leave(showtime).await });
        }
    }
}

impl LiveHub {
    /// `buffer`: events a slow socket may fall behind before it gets a snapshot instead.
    pub fn new(client: redis::Client, buffer: usize) -> Self {
        Self {
            client,
            buffer: buffer.max(1),
            channels: Arc::default(),
        }
    }

    /// Joins a showtime's feed. Returns once this instance is subscribed in Redis, so any
    /// change made after this call is delivered: read the snapshot *after* subscribing.
    pub async fn join(&self, showtime: i64, channel: String) -> Result<Subscription, AppError> {
        let mut channels = self.channels.lock().await;
        if let Some(entry) = channels.get_mut(&showtime) {
            entry.viewers += 1;
            return Ok(Subscription {
                receiver: entry.sender.subscribe(),
                showtime,
                hub: self.clone(),
            });
        }
        let (sender, receiver) = broadcast::channel(self.buffer);
        let pubsub = subscribe(&self.client, &channel).await?;
        let task = tokio::spawn(pump(self.client.clone(), channel, pubsub, sender.clone()));
        channels.insert(
            showtime,
            Entry {
                sender,
                viewers: 1,
                task,
            },
        );
        Ok(Subscription {
            receiver,
            showtime,
            hub: self.clone(),
        })
    }

    async fn leave(&self, showtime: i64) {
        let mut channels = self.channels.lock().await;
        if let Some(entry) = channels.get_mut(&showtime) {
            entry.viewers = entry.viewers.saturating_sub(1);
            if entry.viewers == 0 {
                entry.task.abort();
                channels.remove(&showtime);
            }
        }
    }

    /// Showtimes this instance is subscribed to, with their viewer counts.
    pub async fn active(&self) -> Vec<(i64, usize)> {
        let channels = self.channels.lock().await;
        channels.iter().map(|(id, e)| (*id, e.viewers)).collect()
    }
}

async fn subscribe(client: &redis::Client, channel: &str) -> Result<redis::aio::PubSub, AppError> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

/// Forwards a channel's messages to the viewers; on a lost connection tells them to resync
/// and subscribes again, with backoff.
async fn pump(
    client: redis::Client,
    channel: String,
    mut pubsub: redis::aio::PubSub,
    sender: broadcast::Sender<Feed>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                backoff = Duration::from_millis(100);
                let payload: String = match message.get_payload() {
                    Ok(payload) => payload,
                    Err(error) => {
                        tracing::warn!(%error, "undecodable live event");
                        let _ = sender.send(Feed::Interrupted);
                        continue;
                    }
                };
                match serde_json::from_str::<SeatEvent>(&payload) {
                    // No receivers is fine: viewers come and go.
                    Ok(event) => drop(sender.send(Feed::Event(Arc::new(event)))),
                    // Whatever it said is unknown: every viewer takes a fresh snapshot.
                    Err(error) => {
                        // Not the payload itself: events name sessions.
                        tracing::warn!(%error, bytes = payload.len(), "malformed live event");
                        let _ = sender.send(Feed::Interrupted);
                    }
                }
            }
        }
        tracing::warn!(
            channel,
            "live feed lost its Redis connection; resubscribing"
        );
        let _ = sender.send(Feed::Interrupted);
        loop {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
            match subscribe(&client, &channel).await {
                Ok(fresh) => {
                    pubsub = fresh;
                    // Whatever happened while we were away is unknown: resync everyone.
                    let _ = sender.send(Feed::Interrupted);
                    break;
                }
                Err(_) => continue,
            }
        }
    }
}
