//! Metrics, served as Prometheus text at `GET /metrics`.
//!
//! Call sites record through the functions here, so every metric's name and labels live in
//! this one file (docs/api.md lists them). They go to the `metrics` facade, whose recorder is
//! `metrics-exporter-prometheus`, installed without a listener of its own: the app's router
//! serves [`scrape`] (`endpoint.rs`, with who may read it). The facade is process-wide by design (so `counter!` works anywhere,
//! `From<sqlx::Error>` included, without threading a registry through every call), which makes
//! the recorder the one global of the server: applications sharing a process (the tests)
//! share it. One process is one instance; Prometheus adds the `instance` label when it
//! scrapes.
//!
//! Label values come from closed sets, never ids, sessions or addresses: an outcome is `ok`
//! or an API error code (`seat_taken`, `payment_declined`, … as in docs/api.md), a route is
//! the router's pattern (`/movies/{id}`), and the rest are the words listed here.

mod endpoint;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use endpoint::scrape;

use crate::app::error::AppError;

/// Latency buckets, in seconds: from a Redis round trip to a payment that hits its timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder, once; every call returns the same handle (`None` if
/// another recorder was installed first, which is logged).
pub fn install() -> Option<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    describe();
                    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
                    // Series an alert watches exist from the start, at zero, so that a rate
                    // over them is defined before the first error.
                    for kind in ["timeout", "connection", "server", "other"] {
                        counter!(REDIS_ERRORS, "kind" => kind).absolute(0);
                    }
                    for kind in ["pool", "connection", "database", "other"] {
                        counter!(POSTGRES_ERRORS, "kind" => kind).absolute(0);
                    }
                    gauge!(LIVE_SOCKETS).set(0.0);
                    Some(handle)
                }
                Err(error) => {
                    tracing::error!(%error, "cannot install the metrics recorder");
                    None
                }
            }
        })
        .clone()
}

/// Keeps the recorder's histograms drained while nobody scrapes (the exporter's own listener
/// would do this; we render from the router instead).
pub fn spawn_upkeep(handle: PrometheusHandle) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(5));
        loop {
            ticker.tick().await;
            handle.run_upkeep();
        }
    })
}

// --- What is recorded -------------------------------------------------------------------

const BUILD_INFO: &str = "marquee_build_info";
const HTTP_REQUESTS: &str = "marquee_http_requests_total";
const HTTP_SECONDS: &str = "marquee_http_request_duration_seconds";
const LINE_OFFERS: &str = "marquee_line_offers_total";
const PAYMENT_CALLS: &str = "marquee_payment_calls_total";
const PAYMENT_SECONDS: &str = "marquee_payment_call_duration_seconds";
const LIVE_SOCKETS: &str = "marquee_live_sockets";
const LIVE_CONNECTS: &str = "marquee_live_connects_total";
const LIVE_MESSAGES: &str = "marquee_live_messages_total";
const LIVE_RESYNCS: &str = "marquee_live_resyncs_total";
const REDIS_ERRORS: &str = "marquee_redis_errors_total";
const POSTGRES_ERRORS: &str = "marquee_postgres_errors_total";
const RECONCILER_PASSES: &str = "marquee_reconciler_passes_total";
const RECONCILER_SECONDS: &str = "marquee_reconciler_pass_duration_seconds";
const RECONCILER_ORDERS: &str = "marquee_reconciler_orders_total";
const CATALOG_LOOKUPS: &str = "marquee_catalog_cache_lookups_total";
const CATALOG_INVALIDATIONS: &str = "marquee_catalog_invalidations_total";

/// An operation counted by outcome and timed: `marquee_<name>_total{outcome}` and
/// `marquee_<name>_duration_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `hold_seats`.
    Hold,
    /// `hold_best`: choosing the best available seats and holding them.
    HoldBest,
    /// `release_seats`, `release_all`.
    Release,
    /// `extend_hold`.
    Extend,
    /// `purchase`, from the request to its answer (the payment included).
    Purchase,
    /// `line/join`.
    LineJoin,
    /// `line/decline`.
    OfferDecline,
    /// Serving a waiting line (after a release, an expiry, before a hold while people wait).
    LineServe,
}

impl Operation {
    const ALL: [Operation; 8] = [
        Operation::Hold,
        Operation::HoldBest,
        Operation::Release,
        Operation::Extend,
        Operation::Purchase,
        Operation::LineJoin,
        Operation::OfferDecline,
        Operation::LineServe,
    ];

    /// (counter, histogram, what it is)
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Operation::Hold => (
                "marquee_holds_total",
                "marquee_hold_duration_seconds",
                "hold requests",
            ),
            Operation::HoldBest => (
                "marquee_best_holds_total",
                "marquee_best_hold_duration_seconds",
                "best-available hold requests",
            ),
            Operation::Release => (
                "marquee_releases_total",
                "marquee_release_duration_seconds",
                "release requests",
            ),
            Operation::Extend => (
                "marquee_extensions_total",
                "marquee_extension_duration_seconds",
                "hold extension requests",
            ),
            Operation::Purchase => (
                "marquee_purchases_total",
                "marquee_purchase_duration_seconds",
                "purchase requests",
            ),
            Operation::LineJoin => (
                "marquee_line_joins_total",
                "marquee_line_join_duration_seconds",
                "waiting-line joins",
            ),
            Operation::OfferDecline => (
                "marquee_offer_declines_total",
                "marquee_offer_decline_duration_seconds",
                "declined waiting-line offers",
            ),
            Operation::LineServe => (
                "marquee_line_serves_total",
                "marquee_line_serve_duration_seconds",
                "times a waiting line was served",
            ),
        }
    }
}

/// Runs `work`, then counts it by outcome and records how long it took.
pub async fn measured<T>(
    operation: Operation,
    work: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let started = Instant::now();
    let result = work.await;
    let (total, seconds, _) = operation.names();
    histogram!(seconds).record(started.elapsed().as_secs_f64());
    counter!(total, "outcome" => outcome(&result)).increment(1);
    result
}

/// `ok`, or the error's API code.
pub fn outcome<T>(result: &Result<T, AppError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.code(),
    }
}

pub fn http_request(route: String, method: &'static str, status: u16, took: Duration) {
    histogram!(HTTP_SECONDS, "route" => route.clone()).record(took.as_secs_f64());
    counter!(HTTP_REQUESTS, "route" => route, "method" => method, "status" => status.to_string())
        .increment(1);
}

/// People a waiting line offered seats to.
pub fn line_offers(offers: u32) {
    counter!(LINE_OFFERS).increment(u64::from(offers));
}

/// A call to the payment gateway: `call` is `charge`, `void_or_find` or `refund`; `result`
/// is `captured`, `declined`, `voided`, `refunded`, `unavailable` or `timeout`.
pub fn payment_call(call: &'static str, result: &'static str, took: Duration) {
    histogram!(PAYMENT_SECONDS, "call" => call).record(took.as_secs_f64());
    counter!(PAYMENT_CALLS, "call" => call, "result" => result).increment(1);
}

pub fn live_socket_opened() {
    gauge!(LIVE_SOCKETS).increment(1.0);
}

pub fn live_socket_closed() {
    gauge!(LIVE_SOCKETS).decrement(1.0);
}

/// A live socket handshake: `ok` (upgraded) or why it was refused (`rate_limited`, …).
pub fn live_connect<T>(result: &Result<T, AppError>) {
    counter!(LIVE_CONNECTS, "outcome" => outcome(result)).increment(1);
}

/// A message sent on a live socket: `snapshot`, `delta`, `line` or `offer`.
pub fn live_message(kind: &'static str) {
    counter!(LIVE_MESSAGES, "kind" => kind).increment(1);
}

/// A fresh snapshot sent because of `reason`: `asked` (the client), `gap` (a version gap),
/// `interrupted` (lagging behind, or the feed's Redis connection dropped) or `rebuilt`
/// (Redis' state was rebuilt).
pub fn live_resync(reason: &'static str) {
    counter!(LIVE_RESYNCS, "reason" => reason).increment(1);
}

pub fn redis_error(error: &redis::RedisError) {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connection_refusal() || error.is_connection_dropped() || error.is_io_error()
    {
        "connection"
    } else if matches!(error.kind(), redis::ErrorKind::Server(_)) {
        "server"
    } else {
        "other"
    };
    counter!(REDIS_ERRORS, "kind" => kind).increment(1);
}

pub fn postgres_error(error: &sqlx::Error) {
    let kind = match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => "pool",
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => "connection",
        sqlx::Error::Database(_) => "database",
        _ => "other",
    };
    counter!(POSTGRES_ERRORS, "kind" => kind).increment(1);
}

/// What one reconciler pass did: `None` when another instance held the lock.
pub fn reconciler_pass(
    result: &Result<Option<crate::server::booking::reconciler::Report>, sqlx::Error>,
    took: Duration,
) {
    let label = match result {
        Ok(Some(report)) => {
            for (action, count) in [
                ("settled", report.settled),
                ("failed", report.failed),
                ("unresolved", report.unresolved),
                ("fulfilled", report.fulfilled),
            ] {
                counter!(RECONCILER_ORDERS, "action" => action).increment(u64::from(count));
            }
            histogram!(RECONCILER_SECONDS).record(took.as_secs_f64());
            "ran"
        }
        Ok(None) => "skipped",
        Err(error) => {
            postgres_error(error);
            "failed"
        }
    };
    counter!(RECONCILER_PASSES, "result" => label).increment(1);
}

/// A catalog cache lookup: `kind` is `now_showing`, `movie` or `showtime`.
pub fn catalog_lookup(kind: &'static str, hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    counter!(CATALOG_LOOKUPS, "kind" => kind, "result" => result).increment(1);
}

/// The catalog caches were emptied: `local` (this instance changed the catalog),
/// `announced` (another one did), `subscribed` (the change channel was (re)joined).
pub fn catalog_invalidation(reason: &'static str) {
    counter!(CATALOG_INVALIDATIONS, "reason" => reason).increment(1);
}

/// HELP lines, so that `/metrics` explains itself.
fn describe() {
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the label says which version of Marquee this instance runs"
    );
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by route pattern, method and status"
    );
    describe_histogram!(
        HTTP_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request (to its response head), by route pattern"
    );
    for operation in Operation::ALL {
        let (total, seconds, what) = operation.names();
        describe_counter!(
            total,
            format!("{what}, by outcome (ok or the API error code)")
        );
        describe_histogram!(
            seconds,
            metrics::Unit::Seconds,
            format!("Time taken by {what}")
        );
    }
    describe_counter!(LINE_OFFERS, "People a waiting line offered seats to");
    describe_counter!(
        PAYMENT_CALLS,
        "Calls to the payment gateway by call (charge, void_or_find, refund) and result"
    );
    describe_histogram!(
        PAYMENT_SECONDS,
        metrics::Unit::Seconds,
        "Time the payment gateway took to answer, by call"
    );
    describe_gauge!(LIVE_SOCKETS, "Live seat-map sockets open on this instance");
    describe_counter!(
        LIVE_CONNECTS,
        "Live socket handshakes by outcome (ok or the refusal's API error code)"
    );
    describe_counter!(LIVE_MESSAGES, "Messages sent on live sockets, by kind");
    describe_counter!(
        LIVE_RESYNCS,
        "Fresh snapshots sent to live sockets, by reason"
    );
    describe_counter!(REDIS_ERRORS, "Redis errors, by kind");
    describe_counter!(POSTGRES_ERRORS, "Postgres errors, by kind");
    describe_counter!(
        RECONCILER_PASSES,
        "Reconciler passes: ran, skipped (another instance ran one) or failed"
    );
    describe_histogram!(
        RECONCILER_SECONDS,
        metrics::Unit::Seconds,
        "Time a reconciler pass took"
    );
    describe_counter!(
        RECONCILER_ORDERS,
        "Orders the reconciler settled, failed, left unresolved or fulfilled"
    );
    describe_counter!(
        CATALOG_LOOKUPS,
        "Catalog cache lookups by kind and result (hit, miss)"
    );
    describe_counter!(
        CATALOG_INVALIDATIONS,
        "Times the catalog caches were emptied, by reason"
    );
}
