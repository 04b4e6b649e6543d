//! The application state: one value, cloned cheaply into every request.
//!
//! Axum handlers extract it (or a part of it, through `FromRef`); pages and server functions
//! find it in the Leptos context, where `leptos_routes_with_context` puts it.

use super::tickets::TicketSigner;
use std::sync::Arc;

use crate::server::redis_client::Redis;
use axum::extract::FromRef;
use leptos::prelude::{LeptosOptions, use_context};
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use super::Settings;
use super::booking::holds::{HoldEngine, HoldRules};
use super::booking::idempotency::Idempotency;
use super::booking::keys::Keyspace;
use super::booking::line::{LineRules, WaitingLine};
use super::booking::payment::PaymentGateway;
use super::booking::showtimes::ShowtimeCache;
use super::catalog::CatalogCache;
use super::db::Replica;
use super::health::Draining;
use super::limits::Limiter;
use super::live::hub::{ClusterFeeds, FeedSource};
use super::live::{LiveHub, Sockets};
use super::room::{RoomRules, WaitingRoom};
use crate::app::error::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// The names pages link for the stylesheet and bundles (`assets.rs`).
    pub assets: Arc<super::assets::Assets>,
    pub db: PgPool,
    /// A streaming replica for catalog reads, if configured (see [`db::Replica`]).
    pub replica: Option<Replica>,
    /// A multiplexed Redis connection that reconnects by itself.
    pub redis: Redis,
    pub settings: Arc<Settings>,
    /// Seat holds in Redis (shares the connection above).
    pub holds: HoldEngine,
    /// The waiting lines of full showtimes (offers are holds of the engine above).
    pub line: WaitingLine,
    /// Purchase keys: one order per key, one attempt at a time.
    pub idempotency: Idempotency,
    /// Rate limits, shared with every other instance through Redis.
    pub limiter: Limiter,
    /// Seats and prices of showtimes, cached in process.
    pub showtimes: ShowtimeCache,
    /// The catalog's answers (now showing, movies, showtimes), cached in process.
    pub catalog: CatalogCache,
    /// Renders `/metrics`; `None` with `METRICS=false`.
    pub metrics: Option<PrometheusHandle>,
    pub payments: Arc<dyn PaymentGateway>,
    /// Live seat feeds of the showtimes this instance's sockets watch.
    pub live: LiveHub,
    /// The live sockets open on this instance (caps, shutdown).
    pub sockets: Sockets,
    /// Set once this instance has been told to stop: `/healthz` then answers 503.
    pub draining: Draining,
    /// Signs and verifies ticket tokens (the QR codes); its key signs admissions too.
    pub tickets: TicketSigner,
    /// The waiting rooms of on-sales.
    pub room: WaitingRoom,
}

impl AppState {
    /// Assembles the state from its connections; the rest follows from the settings.
    pub fn new(
        leptos_options: LeptosOptions,
        db: PgPool,
        redis: Redis,
        settings: Settings,
        payments: Arc<dyn PaymentGateway>,
    ) -> Result<Self, super::startup::StartupError> {
        // Subscriptions need connections of their own (a subscribed connection can do nothing
        // else), so the hub keeps what it needs to make them rather than the shared one.
        let (source, keyspace) = if settings.redis_cluster_nodes.is_empty() {
            let client = redis::Client::open(settings.redis_url.as_str())?;
            (
                FeedSource::Single(client),
                Keyspace::new(&settings.redis_prefix),
            )
        } else {
            let feeds = ClusterFeeds::new(&settings.redis_cluster_nodes);
            (
                FeedSource::Cluster(feeds),
                Keyspace::sharded(&settings.redis_prefix),
            )
        };
        let live = LiveHub::new(source, settings.live_buffer);
        let holds = HoldEngine::new(
            redis.clone(),
            keyspace.clone(),
            HoldRules::from_settings(&settings),
        );
        let line = WaitingLine::new(
            redis.clone(),
            keyspace.clone(),
            holds.clone(),
            LineRules::from_settings(&settings),
        );
        let idempotency =
            Idempotency::new(redis.clone(), keyspace.clone(), settings.payment_timeout);
        let room = WaitingRoom::new(
            redis.clone(),
            keyspace.clone(),
            RoomRules {
                admission_ttl: settings.admission_ttl,
                per_address: settings.queue_places_per_address,
                tick: settings.queue_tick,
            },
        );
        let limiter = Limiter::new(redis.clone(), keyspace, settings.rate_limits.clone());
        let showtimes =
            ShowtimeCache::new(settings.showtime_cache_size, settings.showtime_cache_ttl);
        let catalog = CatalogCache::new(settings.catalog_cache_size, settings.catalog_cache_ttl);
        let sockets = Sockets::new(settings.ws_max_connections, settings.ws_max_per_ip);
        let metrics = if settings.metrics {
            super::telemetry::metrics::install()
        } else {
            None
        };
        let tickets = TicketSigner::new(settings.ticket_secret.as_ref().map(|s| s.expose()));
        Ok(Self {
            assets: Arc::new(super::assets::Assets::load(&settings.site_root)),
            leptos_options,
            replica: Replica::new(&settings)?,
            db,
            redis,
            settings: Arc::new(settings),
            holds,
            line,
            idempotency,
            limiter,
            showtimes,
            catalog,
            metrics,
            payments,
            live,
            sockets,
            draining: Draining::default(),
            tickets,
            room,
        })
    }

    /// The state inside a server function or while rendering a page.
    pub fn current() -> Result<Self, AppError> {
        use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal
        })
    }
}

/// A value a middleware attached to the request being handled (inside a server function or
/// page render); `what` names it in the log if it is missing (a middleware not installed).
pub fn request_extension<T: Clone + Send + Sync + 'static>(what: &str) -> Result<T, AppError> {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<T>().cloned())
        .ok_or_else(|| {
            tracing::error!(what, "missing on the request; is its middleware installed?");
            AppError::Internal
        })
}
