//! The live feeds of a Redis Cluster: events go out on sharded channels (`SPUBLISH`, on the
//! shard of the showtime's keys), and one RESP3 cluster connection per instance carries every
//! `SSUBSCRIBE` of this instance; its pushes are routed here to the showtime they name. A
//! push that says the subscription moved or ended makes that showtime's viewers resync.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use redis::cluster_async::ClusterConnection;
use tokio::sync::broadcast;

use super::hub::{Feed, decode};
use crate::app::error::AppError;

/// The sharded feeds of a Redis Cluster: one RESP3 connection for every subscription of this
/// instance (made at the first one), whose pushes go to the showtime they name.
#[derive(Clone)]
pub struct ClusterFeeds {
    nodes: Arc<[String]>,
    connection: Arc<tokio::sync::Mutex<Option<ClusterConnection>>>,
    routes: Arc<Mutex<HashMap<String, Route>>>,
}

struct Route {
    sender: broadcast::Sender<Feed>,
    /// The connection dropped since this channel was last (re)subscribed.
    lost: bool,
}

/// A channel's place in the routes; dropping it unsubscribes.
pub(super) struct RouteGuard {
    feeds: ClusterFeeds,
    channel: String,
}

impl Drop for RouteGuard {
    fn drop(&mut self) {
        lock(&self.feeds.routes).remove(&self.channel);
        let (feeds, channel) = (self.feeds.clone(), std::mem::take(&mut self.channel));
        tokio::spawn(async move {
            let connection = feeds.connection.lock().await.clone();
            if let Some(mut connection) = connection
                && let Err(error) = connection.sunsubscribe(&channel).await
            {
                tracing::warn!(%error, channel, "could not unsubscribe a sharded live feed");
            }
        });
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl ClusterFeeds {
    pub fn new(nodes: &[String]) -> Self {
        Self {
            nodes: nodes.into(),
            connection: Arc::default(),
            routes: Arc::default(),
        }
    }

    pub(super) fn route(&self, channel: String, sender: broadcast::Sender<Feed>) -> RouteGuard {
        lock(&self.routes).insert(
            channel.clone(),
            Route {
                sender,
                lost: false,
            },
        );
        RouteGuard {
            feeds: self.clone(),
            channel,
        }
    }

    pub(super) async fn subscribe(&self, channel: &str) -> Result<(), AppError> {
        let mut connection = {
            let mut slot = self.connection.lock().await;
            match slot.as_ref() {
                Some(connection) => connection.clone(),
                None => {
                    let routes = self.routes.clone();
                    let client =
                        crate::server::redis_client::cluster_client(&self.nodes, |builder| {
                            builder.push_sender(move |push: redis::PushInfo| {
                                on_push(&routes, push);
                                Ok::<(), ()>(())
                            })
                        })?;
                    let connection = client.get_async_connection().await?;
                    *slot = Some(connection.clone());
                    connection
                }
            }
        };
        connection.ssubscribe(channel).await?;
        Ok(())
    }
}

/// Routes one push of the cluster connection: an event to its showtime's viewers; a lost
/// connection, and the resubscription after it, as "resync" to every viewer it concerns.
fn on_push(routes: &Mutex<HashMap<String, Route>>, push: redis::PushInfo) {
    use redis::PushKind;
    let channel = |index: usize| -> Option<String> {
        push.data
            .get(index)
            .and_then(|value| redis::from_redis_value_ref::<String>(value).ok())
    };
    let mut routes = lock(routes);
    match push.kind {
        PushKind::SMessage => {
            let (Some(name), Some(payload)) = (channel(0), channel(1)) else {
                return;
            };
            if let Some(route) = routes.get(&name) {
                let _ = route.sender.send(decode(&payload));
            }
        }
        // A node's connection dropped (which node's channels is not said): whatever was
        // published meanwhile is lost. redis-rs subscribes again by itself.
        PushKind::Disconnection => {
            for route in routes.values_mut() {
                route.lost = true;
                let _ = route.sender.send(Feed::Interrupted);
            }
        }
        // The server dropped a channel we still route (its slot moved: a failover or a
        // resharding); our own unsubscriptions come after the route is gone.
        PushKind::SUnsubscribe => {
            if let Some(route) = channel(0).and_then(|name| routes.get_mut(&name)) {
                route.lost = true;
                let _ = route.sender.send(Feed::Interrupted);
            }
        }
        // Subscribed again after a loss: start over from a snapshot now that events flow.
        PushKind::SSubscribe => {
            if let Some(route) = channel(0).and_then(|name| routes.get_mut(&name))
                && route.lost
            {
                route.lost = false;
                let _ = route.sender.send(Feed::Interrupted);
            }
        }
        _ => {}
    }
}
