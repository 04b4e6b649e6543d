//! "The catalog changed": one message on Redis, and every instance forgets its cached catalog.
//!
//! Whoever changes movies, showtimes or prices (today the demo catalog's top-up at start;
//! staff edits later) commits the change in Postgres and then calls [`changed`]: this
//! instance's caches are emptied at once and a message naming it goes out on the channel
//! `<prefix>:catalog` (`Keyspace::catalog_channel`). Every instance keeps one subscription to
//! it ([`spawn_listener`]) and empties its caches on each message from another instance (its
//! own it has acted on already): the catalog answers
//! (`catalog::cache`) and booking's showtimes (`booking::showtimes`: a showtime's prices or
//! start may be what changed).
//!
//! Redis pub/sub is at-most-once: a message published while an instance was not subscribed
//! (its connection dropped) is lost, so an instance also empties its caches every time it
//! (re)subscribes, and the caches' TTL bounds whatever is left. Nothing else in the app
//! depends on this channel, and it is the only Redis this module touches: a `PUBLISH` on the
//! shared connection and a subscription on a connection of its own (a subscribed connection
//! can do nothing else). On Redis Cluster (`REDIS_CLUSTER_NODES`) a plain `PUBLISH`, sent to
//! any node, reaches subscribers on every node, so the subscription is made on whichever seed
//! node answers, going round them when one fails.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::task::JoinHandle;

use crate::server::AppState;
use crate::server::booking::keys::Keyspace;
use crate::server::telemetry::metrics;

/// Announces that the catalog changed (call it after the change is committed). This
/// instance forgets its cached catalog at once; the others as soon as Redis tells them. Never
/// fails: the change itself is made; if Redis cannot carry the message, the others see it
/// within `CATALOG_CACHE_TTL_SECS` (it is logged).
pub async fn changed(state: &AppState) {
    forget(state, "local");
    let channel = channel(state);
    let published: Result<i64, _> = redis::cmd("PUBLISH")
        .arg(&channel)
        .arg(state.catalog.origin())
        .query_async(&mut state.redis.clone())
        .await;
    match published {
        Ok(receivers) => tracing::info!(receivers, "catalog change announced"),
        Err(error) => {
            metrics::redis_error(&error);
            tracing::warn!(
                channel,
                "catalog change not announced; other instances catch up within the cache TTL"
            );
        }
    }
}

/// Listens for catalog changes for as long as the instance runs.
pub fn spawn_listener(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let clients = match subscription_clients(&state.settings) {
            Ok(clients) if !clients.is_empty() => clients,
            _ => {
                tracing::error!("catalog changes cannot be heard: no valid Redis URL");
                return;
            }
        };
        let channel = channel(&state);
        let mut backoff = MIN_BACKOFF;
        for client in clients.iter().cycle() {
            match subscribe(client, &channel).await {
                Ok(mut pubsub) => {
                    backoff = MIN_BACKOFF;
                    // Whatever was announced while we were not listening is unknown.
                    forget(&state, "subscribed");
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let origin: Option<String> = message.get_payload().ok();
                        if origin.as_deref() != Some(state.catalog.origin()) {
                            forget(&state, "announced");
                        }
                    }
                    tracing::warn!(channel, "catalog changes: Redis connection lost");
                }
                Err(error) => {
                    metrics::redis_error(&error);
                    tracing::warn!(channel, "catalog changes: cannot subscribe; retrying");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A Redis that does not answer the subscription within this long is tried again.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

async fn subscribe(
    client: &redis::Client,
    channel: &str,
) -> Result<redis::aio::PubSub, redis::RedisError> {
    let subscribing = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok(pubsub)
    };
    tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribing)
        .await
        .unwrap_or_else(|_| {
            Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "subscription timed out",
            )))
        })
}

/// Where a subscription may be made: the one server, or each seed node of the cluster.
fn subscription_clients(
    settings: &crate::server::Settings,
) -> Result<Vec<redis::Client>, redis::RedisError> {
    if settings.redis_cluster_nodes.is_empty() {
        Ok(vec![redis::Client::open(settings.redis_url.as_str())?])
    } else {
        settings
            .redis_cluster_nodes
            .iter()
            .map(|node| redis::Client::open(node.as_str()))
            .collect()
    }
}

fn channel(state: &AppState) -> String {
    Keyspace::new(&state.settings.redis_prefix).catalog_channel()
}

/// Empties every cache that holds catalog data; `why` is a metric label.
fn forget(state: &AppState, why: &'static str) {
    state.catalog.clear();
    state.showtimes.clear();
    metrics::catalog_invalidation(why);
}
