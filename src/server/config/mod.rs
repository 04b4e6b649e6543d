//! Settings, read once at startup from environment variables.
//!
//! Every variable has a default that works with `make run` on one machine, so a newcomer
//! needs no configuration at all. A value that is present but malformed stops the server with
//! a message naming the variable, rather than being silently replaced by the default.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

mod parse;

pub use parse::ConfigError;
use parse::{cluster_nodes, parsed, parsed_bool, positive, prefix, rate_limits, secs, token};

use super::client::TrustedProxies;
use super::limits::RateLimits;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `LEPTOS_SITE_ADDR`: where to listen (cargo-leptos sets it from Cargo.toml).
    pub site_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT`: the directory holding the built `pkg/` and public assets.
    pub site_root: String,
    /// `DATABASE_URL`: the Postgres database (system of record).
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS`: size of the Postgres pool.
    pub database_max_connections: u32,
    /// `DATABASE_REPLICA_URL`: a streaming replica of the database, for catalog reads (none by
    /// default).
    pub database_replica_url: Option<String>,
    /// `DATABASE_REPLICA_MAX_LAG_SECS`: a replica further behind than this is not read from.
    pub database_replica_max_lag: Duration,
    /// `REDIS_URL`: the Redis server for short-lived shared state.
    pub redis_url: String,
    /// `REDIS_CLUSTER_NODES`: seed nodes of a Redis Cluster (comma-separated `redis://` URLs);
    /// when set, Redis Cluster is used (sharded live channels) and `REDIS_URL` is not.
    pub redis_cluster_nodes: Vec<String>,
    /// `DEMO_CATALOG`: load the demo theater into an empty database and keep its schedule
    /// filled for the coming week.
    pub demo_catalog: bool,
    /// `REDIS_KEY_PREFIX`: first part of every Redis key, so several deployments (or test
    /// runs) can share one Redis. Letters, digits, `-`, `_`, `.` and `:` only.
    pub redis_prefix: String,
    /// `HOLD_TTL_SECS`: how long a hold lasts.
    pub hold_ttl: Duration,
    /// `MAX_SEATS_PER_HOLD`: seats one session may hold for one showtime.
    pub max_seats_per_hold: u32,
    /// `HOLD_EXTENSIONS`: how many times a hold may be extended.
    pub hold_extensions: u32,
    /// `HOLD_EXTENSION_SECS`: how much time each extension adds.
    pub hold_extension: Duration,
    /// `CHECKOUT_GRACE_SECS`: minimum time a hold is kept once checkout starts, so it cannot
    /// lapse while the card is being charged.
    pub checkout_grace: Duration,
    /// `SWEEP_INTERVAL_MS`: how often expired holds are looked for and announced.
    pub sweep_interval: Duration,
    /// `COOKIE_SECURE`: mark the session cookie `Secure` (set it when serving over TLS).
    pub cookie_secure: bool,
    /// `OFFER_TTL_SECS`: how long a waiting-line offer stands before it passes to the next
    /// person.
    pub offer_ttl: Duration,
    /// `LINE_MAX_LENGTH`: how many people may wait in one showtime's line.
    pub line_max_length: u32,
    /// `ADMISSION_TTL_SECS`: how long someone an on-sale's waiting room admitted may shop
    /// (hold and buy) before their place goes to the next person.
    pub admission_ttl: Duration,
    /// `QUEUE_PLACES_PER_ADDRESS`: places one client address may have in one on-sale's queue.
    pub queue_places_per_address: u32,
    /// `QUEUE_TICK_MS`: how often a waiting room admits people and live sockets are told
    /// their place.
    pub queue_tick: Duration,
    /// `LIVE_BUFFER`: seat events a slow socket may fall behind before it is sent a fresh
    /// snapshot instead.
    pub live_buffer: usize,
    /// `TRUSTED_PROXIES`: load balancers whose `X-Forwarded-For` names the client
    /// (addresses or networks, comma-separated; none by default).
    pub trusted_proxies: TrustedProxies,
    /// `RATE_LIMITS` (on/off) and `RATE_<BUDGET>` (`<count>/<seconds>`): see `limits`.
    pub rate_limits: RateLimits,
    /// `MAX_SEATS_PER_IP`: seats held plus places in line, per client address and showtime
    /// (several people behind one home router share an address).
    pub max_seats_per_ip: u32,
    /// `HEADER_READ_TIMEOUT_SECS`: a connection that has not sent a whole request head in
    /// this long (a slowloris, or an idle keep-alive) is closed.
    pub header_read_timeout: Duration,
    /// `REQUEST_TIMEOUT_SECS`: a request not answered in this long gets a 503 (WebSocket
    /// upgrades only until the upgrade).
    pub request_timeout: Duration,
    /// `DRAIN_SECS`: on the shutdown signal, the instance first keeps serving this long while
    /// `/healthz` answers 503 "draining", so a load balancer's health checks take it out of
    /// rotation before its listener closes (0 by default: stop at once, as with one instance).
    pub drain: Duration,
    /// `SHUTDOWN_GRACE_SECS`: at shutdown, in-flight requests get at most this long.
    pub shutdown_grace: Duration,
    /// `WS_MAX_CONNECTIONS`: open live sockets on this instance.
    pub ws_max_connections: usize,
    /// `WS_MAX_PER_IP`: open live sockets per client address on this instance.
    pub ws_max_per_ip: usize,
    /// `WS_SEND_TIMEOUT_SECS`: a live socket whose client stops reading is closed after this.
    pub ws_send_timeout: Duration,
    /// `SHOWTIME_CACHE_SIZE`: showtimes (seats, prices) kept in process.
    pub showtime_cache_size: usize,
    /// `SHOWTIME_CACHE_TTL_SECS`: a cached showtime older than this is read again.
    pub showtime_cache_ttl: Duration,
    /// `PAYMENT_TIMEOUT_MS`: the longest a call to the payment gateway may take; past it the
    /// payment's outcome is settled with the gateway (captured, or voided for good).
    pub payment_timeout: Duration,
    /// `PAYMENT_STALE_SECS`: a payment still pending after this long has lost its purchase (a
    /// crash): the reconciler settles it. At least three payment timeouts.
    pub payment_stale: Duration,
    /// `RECONCILE_INTERVAL_MS`: how often the reconciler runs (on one instance at a time).
    pub reconcile_interval: Duration,
    /// `TEST_GATEWAY_DELAY_MS`: the test payment gateway answers this long after capturing
    /// (0 by default), to exercise timeouts and crashes mid-payment.
    pub test_gateway_delay: Duration,
    /// `CATALOG_MAX_AGE_SECS`: how long browsers and shared caches (a CDN) may reuse a catalog
    /// response (`Cache-Control: public, max-age=…`); 0 makes them revalidate every time.
    pub catalog_max_age: Duration,
    /// `CATALOG_STALE_SECS`: how much longer a cache may serve a catalog response while it
    /// revalidates it in the background (`stale-while-revalidate=…`).
    pub catalog_stale: Duration,
    /// `CATALOG_CACHE_SIZE`: movies, and showtimes, kept in process by the catalog cache
    /// (each; the least recently used goes first).
    pub catalog_cache_size: usize,
    /// `CATALOG_CACHE_TTL_SECS`: a cached catalog answer older than this is read again, even
    /// if no change was announced (a lost message, showtimes that have started since).
    pub catalog_cache_ttl: Duration,
    /// `METRICS`: serve `GET /metrics` (Prometheus text format) and record metrics.
    pub metrics: bool,
    /// `METRICS_TOKEN`: a scraper that sends `Authorization: Bearer <token>` may read
    /// `/metrics` from anywhere; without it only a direct, loopback caller may.
    pub metrics_token: Option<Secret>,
    /// `LOG_FORMAT`: `text` (default) or `json` (one JSON object per line).
    pub log_format: LogFormat,
    /// `TICKET_SECRET`: the key that signs ticket tokens (the QR codes). Unset, one is made
    /// on first use and kept in Postgres (`secrets`), shared by every instance.
    pub ticket_secret: Option<Secret>,
    /// `ADMIN_EMAIL` and `ADMIN_PASSWORD` (at least 16 characters): on start, when no staff
    /// account exists yet, the first admin is made with these. There is no default password;
    /// `marquee admin create-user` makes accounts too.
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    /// `STAFF_SESSION_SECS`: how long a staff sign-in lasts (8 hours by default).
    pub staff_session_ttl: Duration,
}

/// A value that must not show up in logs (`Settings` is `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the `tracing` default).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, ()> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(()),
        }
    }
}

impl LogFormat {
    /// `LOG_FORMAT` as logging needs it before the settings are read; a malformed value
    /// logs as text, and then stops the server when the settings are read.
    pub fn from_env() -> Self {
        parsed(&|name| std::env::var(name).ok(), "LOG_FORMAT", "text").unwrap_or_default()
    }
}

impl Settings {
    pub const DEFAULT_DATABASE_URL: &'static str =
        "postgres://marquee:marquee@127.0.0.1:5432/marquee";
    pub const DEFAULT_REDIS_URL: &'static str = "redis://127.0.0.1:6379/0";

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply variables without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let parse = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            Ok(lookup(name)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_string()))
        };
        Self {
            site_addr: parsed(&lookup, "LEPTOS_SITE_ADDR", "127.0.0.1:3000")?,
            site_root: parse("LEPTOS_SITE_ROOT", "target/site")?,
            database_url: parse("DATABASE_URL", Self::DEFAULT_DATABASE_URL)?,
            database_max_connections: parsed(&lookup, "DATABASE_MAX_CONNECTIONS", "10")?,
            database_replica_url: lookup("DATABASE_REPLICA_URL").filter(|v| !v.trim().is_empty()),
            database_replica_max_lag: secs(&lookup, "DATABASE_REPLICA_MAX_LAG_SECS", "5")?,
            redis_url: parse("REDIS_URL", Self::DEFAULT_REDIS_URL)?,
            redis_cluster_nodes: cluster_nodes(&lookup)?,
            demo_catalog: parsed_bool(&lookup, "DEMO_CATALOG", true)?,
            redis_prefix: prefix(&lookup)?,
            hold_ttl: Duration::from_secs(positive(&lookup, "HOLD_TTL_SECS", "300")?),
            max_seats_per_hold: positive(&lookup, "MAX_SEATS_PER_HOLD", "10")?,
            hold_extensions: parsed(&lookup, "HOLD_EXTENSIONS", "2")?,
            hold_extension: Duration::from_secs(positive(&lookup, "HOLD_EXTENSION_SECS", "120")?),
            checkout_grace: Duration::from_secs(positive(&lookup, "CHECKOUT_GRACE_SECS", "60")?),
            sweep_interval: Duration::from_millis(positive(&lookup, "SWEEP_INTERVAL_MS", "250")?),
            cookie_secure: parsed_bool(&lookup, "COOKIE_SECURE", false)?,
            offer_ttl: Duration::from_secs(positive(&lookup, "OFFER_TTL_SECS", "120")?),
            line_max_length: positive(&lookup, "LINE_MAX_LENGTH", "500")?,
            admission_ttl: Duration::from_secs(positive(&lookup, "ADMISSION_TTL_SECS", "600")?),
            queue_places_per_address: positive(&lookup, "QUEUE_PLACES_PER_ADDRESS", "1")?,
            queue_tick: Duration::from_millis(positive(&lookup, "QUEUE_TICK_MS", "1000")?),
            live_buffer: positive(&lookup, "LIVE_BUFFER", "256")?,
            trusted_proxies: parsed(&lookup, "TRUSTED_PROXIES", "")?,
            rate_limits: rate_limits(&lookup)?,
            max_seats_per_ip: positive(&lookup, "MAX_SEATS_PER_IP", "24")?,
            header_read_timeout: secs(&lookup, "HEADER_READ_TIMEOUT_SECS", "10")?,
            request_timeout: secs(&lookup, "REQUEST_TIMEOUT_SECS", "30")?,
            drain: Duration::from_secs(parsed(&lookup, "DRAIN_SECS", "0")?),
            shutdown_grace: secs(&lookup, "SHUTDOWN_GRACE_SECS", "20")?,
            ws_max_connections: positive(&lookup, "WS_MAX_CONNECTIONS", "10000")?,
            ws_max_per_ip: positive(&lookup, "WS_MAX_PER_IP", "20")?,
            ws_send_timeout: secs(&lookup, "WS_SEND_TIMEOUT_SECS", "10")?,
            showtime_cache_size: positive(&lookup, "SHOWTIME_CACHE_SIZE", "1000")?,
            showtime_cache_ttl: secs(&lookup, "SHOWTIME_CACHE_TTL_SECS", "300")?,
            payment_timeout: Duration::from_millis(positive(
                &lookup,
                "PAYMENT_TIMEOUT_MS",
                "10000",
            )?),
            payment_stale: secs(&lookup, "PAYMENT_STALE_SECS", "30")?,
            reconcile_interval: Duration::from_millis(positive(
                &lookup,
                "RECONCILE_INTERVAL_MS",
                "5000",
            )?),
            test_gateway_delay: Duration::from_millis(parsed(
                &lookup,
                "TEST_GATEWAY_DELAY_MS",
                "0",
            )?),
            catalog_max_age: Duration::from_secs(parsed(&lookup, "CATALOG_MAX_AGE_SECS", "30")?),
            catalog_stale: Duration::from_secs(parsed(&lookup, "CATALOG_STALE_SECS", "60")?),
            catalog_cache_size: positive(&lookup, "CATALOG_CACHE_SIZE", "1000")?,
            catalog_cache_ttl: secs(&lookup, "CATALOG_CACHE_TTL_SECS", "60")?,
            metrics: parsed_bool(&lookup, "METRICS", true)?,
            metrics_token: token(&lookup, "METRICS_TOKEN")?,
            log_format: parsed(&lookup, "LOG_FORMAT", "text")?,
            ticket_secret: token(&lookup, "TICKET_SECRET")?,
            admin_email: lookup("ADMIN_EMAIL")
                .map(|v| v.trim().to_lowercase())
                .filter(|v| !v.is_empty()),
            admin_password: token(&lookup, "ADMIN_PASSWORD")?,
            staff_session_ttl: secs(&lookup, "STAFF_SESSION_SECS", "28800")?,
        }
        .checked()
    }

    /// Settings that only make sense together.
    fn checked(self) -> Result<Self, ConfigError> {
        // A purchase may wait one timeout for the charge and one to settle it: a payment is
        // only stale once its purchase has certainly given up on it.
        if self.payment_stale < self.payment_timeout * 3 {
            return Err(ConfigError {
                name: "PAYMENT_STALE_SECS",
                value: format!(
                    "{} (must be at least 3 × PAYMENT_TIMEOUT_MS = {} ms)",
                    self.payment_stale.as_secs(),
                    self.payment_timeout.as_millis() * 3
                ),
            });
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_work_without_any_variable() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.database_url, Settings::DEFAULT_DATABASE_URL);
        assert_eq!(s.database_max_connections, 10);
        assert!(s.demo_catalog);
        assert_eq!(s.hold_ttl, Duration::from_secs(300));
        assert_eq!(s.max_seats_per_hold, 10);
        assert_eq!(s.hold_extensions, 2);
        assert_eq!(s.hold_extension, Duration::from_secs(120));
        assert_eq!(s.redis_prefix, "marquee");
        assert_eq!(s.offer_ttl, Duration::from_secs(120));
        assert_eq!(s.line_max_length, 500);
        assert_eq!(s.header_read_timeout, Duration::from_secs(10));
        assert_eq!(s.request_timeout, Duration::from_secs(30));
        assert_eq!(s.drain, Duration::ZERO);
        assert_eq!(s.shutdown_grace, Duration::from_secs(20));
        assert_eq!((s.ws_max_connections, s.ws_max_per_ip), (10_000, 20));
        assert_eq!(s.showtime_cache_size, 1000);
        assert_eq!(s.catalog_max_age, Duration::from_secs(30));
        assert_eq!(s.catalog_stale, Duration::from_secs(60));
        assert_eq!(s.catalog_cache_size, 1000);
        assert_eq!(s.catalog_cache_ttl, Duration::from_secs(60));
        assert!(s.metrics);
        assert_eq!(s.metrics_token, None);
        assert_eq!(s.log_format, LogFormat::Text);
    }

    #[test]
    fn observability_settings_parse_and_keep_the_token_out_of_debug() {
        let s = settings(&[
            ("LOG_FORMAT", "JSON"),
            ("METRICS", "off"),
            ("METRICS_TOKEN", "0123456789abcdef-token"),
        ])
        .unwrap();
        assert_eq!(s.log_format, LogFormat::Json);
        assert!(!s.metrics);
        assert_eq!(
            s.metrics_token.as_ref().map(Secret::expose),
            Some("0123456789abcdef-token")
        );
        assert!(!format!("{s:?}").contains("0123456789abcdef"));
        let err = settings(&[("LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(err.name, "LOG_FORMAT");
        let err = settings(&[("METRICS_TOKEN", "short")]).unwrap_err();
        assert_eq!(err.name, "METRICS_TOKEN");
        assert!(!err.value.contains("short"));
    }

    #[test]
    fn malformed_values_name_the_variable() {
        let err = settings(&[("DATABASE_MAX_CONNECTIONS", "many")]).unwrap_err();
        assert_eq!(err.name, "DATABASE_MAX_CONNECTIONS");
        let err = settings(&[("DEMO_CATALOG", "maybe")]).unwrap_err();
        assert_eq!(err.name, "DEMO_CATALOG");
        let err = settings(&[("LEPTOS_SITE_ADDR", "localhost")]).unwrap_err();
        assert_eq!(err.name, "LEPTOS_SITE_ADDR");
        let err = settings(&[("HOLD_TTL_SECS", "0")]).unwrap_err();
        assert_eq!(err.name, "HOLD_TTL_SECS");
        let err = settings(&[("REDIS_KEY_PREFIX", "a{b}")]).unwrap_err();
        assert_eq!(err.name, "REDIS_KEY_PREFIX");
    }

    #[test]
    fn explicit_values_win() {
        let s = settings(&[
            ("DEMO_CATALOG", "off"),
            ("LEPTOS_SITE_ADDR", "0.0.0.0:8080"),
        ])
        .unwrap();
        assert!(!s.demo_catalog);
        assert_eq!(s.site_addr.port(), 8080);
    }
}
