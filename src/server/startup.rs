//! From settings to a serving process: connect, migrate, seed, route, serve, shut down.
//!
//! `main` and the integration tests go through the same `Application::build`, so what the
//! tests exercise is what production runs (tests only pick port 0 and their own database).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::booking::payment::TestGateway;
use super::booking::{reconciler, sweeper};
use super::{
    AppState, Settings, body, caching, catalog, client, db, headers, health, live, redis_client,
    serve, session, telemetry,
};
use crate::app::{App, shell};

/// Everything that can stop the server from starting, each with its cause.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
    #[error("cannot use the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot use Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The process entry point used by `main`.
pub async fn run() -> ExitCode {
    telemetry::init(super::config::LogFormat::from_env());
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("admin") {
        return admin_command(&args[1..]).await;
    }
    super::faults::arm_from_env();
    let result = async {
        let settings = Settings::from_env()?;
        let app = Application::build(settings).await?;
        tracing::info!("serving Marquee on http://{}", app.address());
        app.run_until_stopped(shutdown_signal()).await;
        Ok::<_, StartupError>(())
    }
    .await;
    match result {
        Ok(()) => {
            tracing::info!("stopped cleanly");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!("cannot start: {error}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage:
  marquee admin create-user --email <email> --role admin|box_office
  marquee admin set-password --email <email>
  marquee admin disable-user --email <email>
  marquee admin enable-user --email <email>
Passwords are read from MARQUEE_PASSWORD, or else the first line of standard input.";

/// `marquee admin create-user|set-password|disable-user|enable-user --email <email> …`
/// (`server::staff::cli::admin_command`).
async fn admin_command(args: &[String]) -> ExitCode {
    let outcome = match args.first().map(String::as_str) {
        Some(command @ ("create-user" | "set-password" | "disable-user" | "enable-user")) => {
            super::staff::cli::admin_command(command, &args[1..]).await
        }
        _ => Err(USAGE.to_string()),
    };
    match outcome {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// A built application: connected, migrated, seeded and bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = db::pool(&settings)?;
        db::migrate(&db).await?;
        let showtimes_added = if settings.demo_catalog {
            catalog::demo::ensure(&db).await?
        } else {
            0
        };
        let redis = if settings.redis_cluster_nodes.is_empty() {
            redis_client::single(&settings.redis_url)?
        } else {
            redis_client::cluster(&settings.redis_cluster_nodes).await?
        };
        let gateway = TestGateway::new(db.clone(), settings.test_gateway_delay);
        let state = AppState::new(
            leptos_options(&settings),
            db,
            redis,
            settings,
            Arc::new(gateway),
        )?;
        if let Err(error) = super::staff::accounts::ensure_first_admin(&state).await {
            tracing::error!(%error, "the first admin account could not be made");
        }
        if showtimes_added > 0 {
            // Instances already running cache the schedule this one just topped up. In the
            // background: a Redis that is down must not hold up the start.
            tokio::spawn({
                let state = state.clone();
                async move { catalog::changed(&state).await }
            });
        }
        Self::bind(state).await
    }

    /// Binds an already assembled state (tests use this to run against broken dependencies).
    pub async fn bind(state: AppState) -> Result<Self, StartupError> {
        let addr = state.settings.site_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let address = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { addr, source })?;
        Ok(Self {
            listener,
            address,
            state,
        })
    }

    /// The bound address (the real port when the settings asked for port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then drains for `DRAIN_SECS` (still serving, while
    /// `/healthz` answers 503), then closes the listener and the live sockets and lets
    /// in-flight requests finish, for at most `SHUTDOWN_GRACE_SECS`. Background tasks (the
    /// hold sweeper, the reconciler, the replica monitor, the catalog change listener,
    /// metrics upkeep) run as long as the server does.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let mut background = vec![
            sweeper::spawn(self.state.clone(), self.state.settings.sweep_interval),
            reconciler::spawn(self.state.clone()),
            catalog::changes::spawn_listener(self.state.clone()),
        ];
        background.extend(self.state.replica.clone().map(db::Replica::monitor));
        background.extend(
            self.state
                .metrics
                .clone()
                .map(telemetry::metrics::spawn_upkeep),
        );
        let (period, draining) = (self.state.settings.drain, self.state.draining.clone());
        let shutdown = async move {
            shutdown.await;
            drain(period, &draining).await;
        };
        let transport = serve::Transport {
            header_read_timeout: self.state.settings.header_read_timeout,
            shutdown_grace: self.state.settings.shutdown_grace,
        };
        let sockets = self.state.sockets.clone();
        let app = router(self.state);
        serve::serve(
            self.listener,
            app,
            transport,
            shutdown,
            || sockets.close_all(),
            sockets.all_closed(),
        )
        .await;
        for task in background {
            task.abort();
        }
    }
}

/// The first part of a shutdown: behind a load balancer, closing the listener at once would
/// refuse the requests it sends until its health checks notice. So the instance keeps serving
/// for `period` while `/healthz` says "draining"; the balancer's checks take it out of
/// rotation (`period` must be longer than their interval times their fall count), and by the
/// time the listener closes nothing new arrives. Live sockets are closed afterwards with 1001
/// and reconnect through the balancer to an instance that stays.
async fn drain(period: Duration, draining: &health::Draining) {
    if period.is_zero() {
        return;
    }
    draining.start();
    tracing::info!(
        secs = period.as_secs(),
        "draining: /healthz answers 503, requests are still served"
    );
    tokio::time::sleep(period).await;
}

/// The whole HTTP surface: pages, server functions under `/api/`, health, metrics, static
/// files.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .nest_service("/pkg", super::assets::service(&state.settings.site_root))
        .route("/metrics", get(telemetry::metrics::scrape))
        .route("/ws/showtimes/{id}", get(live::socket::upgrade))
        .merge(super::room::http::routes())
        .route("/tickets/{token}/qr.svg", get(super::tickets::qr_svg))
        .route("/orders/{code}/calendar.ics", get(super::tickets::calendar))
        .route(
            "/admin/reports/orders.csv",
            get(super::staff::reports::orders_csv),
        )
        .route(
            "/admin/reports/days.csv",
            get(super::staff::reports::days_csv),
        )
        // Renders the pages and registers every server function; both find `AppState` in
        // their Leptos context, and pages give their inline scripts the response's CSP nonce.
        .leptos_routes_with_context(&state, routes, headers::provide_nonce, move || {
            shell(options.clone())
        })
        // Anything else: a static file from the site root, or the app's 404 page.
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(headers::provide_nonce, shell))
        .layer(axum::middleware::from_fn(super::error::api_error_status))
        .layer(axum::middleware::from_fn(body::limit_api_body))
        .layer(axum::extract::DefaultBodyLimit::max(body::API_BODY_LIMIT))
        // Inside the session layer, which refuses cross-site mutations first.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::staff::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::middleware,
        ))
        // Outside the session layer, so it sees any cookie that layer sets; inside the
        // headers layer, whose nonce it leaves out of a page's ETag.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            caching::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::middleware,
        ))
        // Pages and API answers are compressed for clients that accept it (a showtime page's
        // HTML is ~190 KB, ~10 KB in brotli): outside the caching layer, which hashes the body
        // as rendered. Files already compressed (`/pkg/`) pass as they are; a WebSocket's
        // upgrade answer is never touched.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(4))
                .compress_when(DefaultPredicate::new().and(
                    |status: StatusCode,
                     _: axum::http::Version,
                     _: &axum::http::HeaderMap,
                     _: &axum::http::Extensions| {
                        status != StatusCode::SWITCHING_PROTOCOLS
                    },
                )),
        )
        // A request (up to a WebSocket's upgrade) gets this long; 503 rather than 408, which
        // would invite browsers to resend it on their own.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            state.settings.request_timeout,
        ))
        // Outside the timeout, so requests that time out are counted too.
        .layer(axum::middleware::from_fn(telemetry::http::middleware))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The pages' routes, found once per process by rendering the app with its data loading
/// switched off.
///
/// That switch is process-wide (leptos_server's `SuppressResourceLoad`, leptos issue #4773):
/// a page whose data starts loading on another thread while the routes are being found waits
/// forever, and its request ends in a 503 at `REQUEST_TIMEOUT_SECS`. A server builds its
/// router once, before it serves anything, so it is safe there; several apps in one process
/// (the integration tests, the benches) would hit it whenever one starts while another
/// renders. Found once, before the first router exists, no page can be rendering meanwhile.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Leptos options from the same settings (cargo-leptos passes the `LEPTOS_*` variables).
fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("marquee")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(settings.site_addr)
        .build()
}

/// Completes on Ctrl-C or SIGTERM (what container runtimes and systemd send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(error = %error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
