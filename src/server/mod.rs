//! The server half of Marquee (feature `ssr`).
//!
//! - [`config`]: settings from environment variables, with working defaults.
//! - [`state`]: the one `AppState` handed to pages, server functions and handlers.
//! - [`error`]: how infrastructure failures become an opaque `AppError::Internal`.
//! - [`db`]: the Postgres pool and the embedded migrations.
//! - [`catalog`]: catalog queries behind the catalog server functions, their in-process cache
//!   and its invalidation across instances, and the demo catalog.
//! - [`cache`]: the bounded, expiring in-process cache the catalog and booking use.
//! - [`caching`]: HTTP caching of the catalog (`Cache-Control`, `ETag`, `304`).
//! - [`booking`]: holds in Redis, checkout, payment and orders.
//! - [`session`]: the anonymous session cookie and cross-site request checks.
//! - [`staff`]: staff accounts and sessions, the `/admin` side: catalog, box office,
//!   reports, the audit log.
//! - [`assets`]: the browser's files under `/pkg/`: which bundle a page links (content-hashed
//!   names in a release build), served precompressed with long-lived caching.
//! - [`headers`]: security headers on every response, and the CSP nonce of inline scripts.
//! - [`body`]: the `/api/` body size limit, and refusing a request without a reset.
//! - [`client`]: the client's address (behind trusted proxies too), which limits key on.
//! - [`limits`]: rate limits shared by every instance (GCRA buckets in Redis).
//! - [`redis_client`]: the Redis handle, one server or a Redis Cluster.
//! - [`live`]: the live seat feed over WebSockets, fanned out from Redis pub/sub.
//! - [`faults`]: named failpoints for fault-injection tests (feature `failpoints`).
//! - [`health`]: `GET /healthz`, and the draining flag it reports while the instance stops.
//! - [`serve`]: the accept loop: header read timeout, bounded graceful shutdown.
//! - [`startup`]: building the router and the running application, and shutting it down.
//! - [`telemetry`]: logs (text or JSON), metrics and `GET /metrics`.

pub mod assets;
pub mod body;
pub mod booking;
pub mod cache;
pub mod caching;
pub mod catalog;
pub mod client;
pub mod config;
pub mod db;
pub mod error;
pub mod faults;
pub mod headers;
pub mod health;
pub mod limits;
pub mod live;
pub mod redis_client;
pub mod room;
pub mod serve;
pub mod session;
pub mod staff;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tickets;

pub use config::Settings;
pub use startup::{Application, router, run};
pub use state::AppState;
