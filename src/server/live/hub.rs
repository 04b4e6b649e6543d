//! One Redis subscription per watched showtime per instance, fanned out in process.
//!
//! On one Redis server each watched showtime has a pub/sub connection of its own. On a Redis
//! Cluster, events go out on sharded channels (`SPUBLISH`, on the shard of the showtime's
//! keys) and one RESP3 cluster connection per instance carries every `SSUBSCRIBE`; its pushes
//! are routed by channel (`sharded.rs`). Either way, anything that may have lost events (a dropped
//! connection, a failover that moved the slot, a resubscription) tells the showtime's viewers
//! to resync.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::event::SeatEvent;
pub use super::sharded::ClusterFeeds;
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

/// A showtime's feed on this instance. Created (and counted) under the lock; its Redis
/// subscription is made by its task, outside the lock, and `ready` says when it is up.
struct Entry {
    /// Tells this entry from a later one of the same showtime (after a failed subscription),
    /// so that a viewer of the old one leaving does not count against the new one.
    generation: u64,
    sender: broadcast::Sender<Feed>,
    ready: watch::Receiver<Readiness>,
    viewers: usize,
    task: JoinHandle<()>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readiness {
    Subscribing,
    Subscribed,
    Failed,
}

/// The live feeds of this instance. The lock guards only bookkeeping (no I/O ever happens
/// under it), so a slow Redis delays the joins of the showtime it is subscribing for, and
/// nothing else.
#[derive(Clone)]
pub struct LiveHub {
    source: FeedSource,
    buffer: usize,
    channels: Arc<Mutex<Channels>>,
}

/// Where the feeds come from.
#[derive(Clone)]
pub enum FeedSource {
    /// One Redis server: a pub/sub connection per showtime (`SUBSCRIBE`).
    Single(redis::Client),
    /// A Redis Cluster: sharded channels on one shared connection.
    Cluster(ClusterFeeds),
}

#[derive(Default)]
struct Channels {
    entries: HashMap<i64, Entry>,
    generations: u64,
}

/// A viewer's place in a showtime's feed; leaving (drop) unsubscribes the last one.
pub struct Subscription {
    receiver: broadcast::Receiver<Feed>,
    showtime: i64,
    generation: u64,
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
        self.hub.leave(self.showtime, self.generation);
    }
}

impl LiveHub {
    /// `buffer`: events a slow socket may fall behind before it gets a snapshot instead.
    pub fn new(source: FeedSource, buffer: usize) -> Self {
        Self {
            source,
            buffer: buffer.max(1),
            channels: Arc::default(),
        }
    }

    /// Joins a showtime's feed. Returns once this instance is subscribed in Redis, so any
    /// change made after this call is delivered: read the snapshot *after* subscribing.
    /// Cancel safe: a join dropped while it waits leaves again.
    pub async fn join(&self, showtime: i64, channel: String) -> Result<Subscription, AppError> {
        let (subscription, mut ready) = {
            let mut channels = self.lock();
            let fresh = !matches!(
                channels.entries.get(&showtime),
                Some(entry) if *entry.ready.borrow() != Readiness::Failed
            );
            if fresh {
                // None yet, or the last attempt failed: start (again) from scratch.
                channels.generations += 1;
                let entry = self.start(channels.generations, channel);
                channels.entries.insert(showtime, entry);
            }
            let Some(entry) = channels.entries.get_mut(&showtime) else {
                return Err(AppError::Internal);
            };
            entry.viewers += 1;
            let subscription = Subscription {
                receiver: entry.sender.subscribe(),
                showtime,
                generation: entry.generation,
                hub: self.clone(),
            };
            (subscription, entry.ready.clone())
        };
        match ready.wait_for(|r| *r != Readiness::Subscribing).await {
            Ok(r) if *r == Readiness::Subscribed => Ok(subscription),
            // Logged by the task; `subscription` drops and leaves.
            _ => Err(AppError::Internal),
        }
    }

    /// A new entry whose task subscribes, says so through `ready`, then pumps.
    fn start(&self, generation: u64, channel: String) -> Entry {
        let (sender, _) = broadcast::channel(self.buffer);
        let (ready_tx, ready) = watch::channel(Readiness::Subscribing);
        let feed = sender.clone();
        let task = match self.source.clone() {
            FeedSource::Single(client) => tokio::spawn(async move {
                let subscribed =
                    tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribe(&client, &channel)).await;
                match subscribed {
                    Ok(Ok(pubsub)) => {
                        ready_tx.send_replace(Readiness::Subscribed);
                        pump(client, channel, pubsub, feed).await;
                    }
                    Ok(Err(_)) | Err(_) => {
                        tracing::error!(channel, "cannot subscribe to a live feed");
                        ready_tx.send_replace(Readiness::Failed);
                    }
                }
            }),
            FeedSource::Cluster(feeds) => tokio::spawn(async move {
                // Routed while this task lives; aborting it (the last viewer left)
                // unsubscribes.
                let _route = feeds.route(channel.clone(), feed);
                let subscribed =
                    tokio::time::timeout(SUBSCRIBE_TIMEOUT, feeds.subscribe(&channel)).await;
                if let Ok(Ok(())) = subscribed {
                    ready_tx.send_replace(Readiness::Subscribed);
                    std::future::pending::<()>().await;
                }
                tracing::error!(channel, "cannot subscribe to a sharded live feed");
                ready_tx.send_replace(Readiness::Failed);
            }),
        };
        Entry {
            generation,
            sender,
            ready,
            viewers: 0,
            task,
        }
    }

    fn leave(&self, showtime: i64, generation: u64) {
        let mut channels = self.lock();
        let Some(entry) = channels.entries.get_mut(&showtime) else {
            return;
        };
        if entry.generation != generation {
            return;
        }
        entry.viewers = entry.viewers.saturating_sub(1);
        if entry.viewers == 0 {
            entry.task.abort();
            channels.entries.remove(&showtime);
        }
    }

    /// Showtimes this instance is subscribed (or subscribing) to, with their viewer counts.
    pub fn active(&self) -> Vec<(i64, usize)> {
        let channels = self.lock();
        channels
            .entries
            .iter()
            .map(|(id, e)| (*id, e.viewers))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Channels> {
        // Nothing under the lock can leave the map half-updated, so a poisoned lock is fine.
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A Redis that does not answer within this long fails the joins waiting for it (they may
/// try again); the next join starts a fresh attempt.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

async fn subscribe(client: &redis::Client, channel: &str) -> Result<redis::aio::PubSub, AppError> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

/// One event as the viewers get it; one that does not decode makes them resync.
pub(super) fn decode(payload: &str) -> Feed {
    match serde_json::from_str::<SeatEvent>(payload) {
        Ok(event) => Feed::Event(Arc::new(event)),
        Err(error) => {
            // Not the payload itself: events name sessions.
            tracing::warn!(%error, bytes = payload.len(), "malformed live event");
            Feed::Interrupted
        }
    }
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
                // No receivers is fine: viewers come and go.
                let _ = sender.send(decode(&payload));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A Redis that accepts connections and never answers: joins wait on it, nothing else
    /// does.
    #[tokio::test]
    async fn a_join_waiting_on_redis_holds_up_no_one_else() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("redis://{}", silent.local_addr().unwrap());
        let hub = LiveHub::new(FeedSource::Single(redis::Client::open(url).unwrap()), 16);
        let waiting = tokio::spawn({
            let hub = hub.clone();
            async move { hub.join(1, "channel-1".into()).await.is_ok() }
        });
        // The join is counted at once, and the hub answers while it waits on Redis.
        let mut seen = Vec::new();
        for _ in 0..50 {
            seen = hub.active();
            if !seen.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(seen, vec![(1, 1)]);
        assert!(!waiting.is_finished());
        // A viewer that gives up waiting (its socket went away) leaves again.
        waiting.abort();
        let _ = waiting.await;
        assert!(hub.active().is_empty());
    }
}
