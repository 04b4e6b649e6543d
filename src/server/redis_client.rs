//! The app's Redis: one server (the default), or a Redis Cluster (`REDIS_CLUSTER_NODES`).
//!
//! [`Redis`] is the one handle every service runs its commands and scripts on. Both kinds
//! reconnect by themselves; the cluster one follows `MOVED`/`ASK` redirections and failovers
//! and routes each command (a script: by its first key) to the shard that owns the slot.
//! Every key of a showtime carries the hash tag `{st:<id>}`, so a script's keys always share
//! one slot (see `booking::keys`).

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

/// How long connecting, or waiting for an answer, may take.
const TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub enum Redis {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl From<ConnectionManager> for Redis {
    fn from(connection: ConnectionManager) -> Self {
        Self::Single(connection)
    }
}

impl ConnectionLike for Redis {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// One server, through a connection manager that reconnects on its own. It connects lazily,
/// so a Redis outage at startup shows up on `/healthz` instead of preventing the start.
pub fn single(url: &str) -> Result<Redis, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
        .set_number_of_retries(2);
    Ok(Redis::Single(ConnectionManager::new_lazy_with_config(
        client, config,
    )?))
}

/// A cluster client for `nodes` (seed nodes: any reachable one tells the topology), RESP3 so
/// it can carry sharded subscriptions.
pub fn cluster_client(
    nodes: &[String],
    builder: impl FnOnce(ClusterClientBuilder) -> ClusterClientBuilder,
) -> Result<ClusterClient, redis::RedisError> {
    builder(
        ClusterClientBuilder::new(nodes.to_vec())
            .connection_timeout(TIMEOUT)
            .response_timeout(TIMEOUT)
            .retries(3)
            .use_protocol(redis::ProtocolVersion::RESP3),
    )
    .build()
}

/// A Redis Cluster, reached through any of `nodes`.
pub async fn cluster(nodes: &[String]) -> Result<Redis, redis::RedisError> {
    let client = cluster_client(nodes, |b| b)?;
    Ok(Redis::Cluster(client.get_async_connection().await?))
}
