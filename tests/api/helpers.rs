//! `spawn_app()`: a running Marquee with its own database and Redis key prefix.

use std::sync::Arc;

use marquee::server::booking::keys::{Keyspace, ShowtimeKeys};
use marquee::server::booking::payment::{PaymentGateway, TestGateway};
use marquee::server::{AppState, Application, Settings};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub redis_url: String,
    pub db: PgPool,
    pub redis: marquee::server::redis_client::Redis,
    pub prefix: String,
    /// A session of its own (cookie store), for tests that need only one.
    pub client: reqwest::Client,
    /// The running application's state (to call what a server-side caller would, e.g.
    /// `catalog::changed`).
    pub state: AppState,
}

impl TestApp {
    /// The Redis key names of a showtime of this app (its own prefix).
    pub fn keys(&self, showtime: i64) -> ShowtimeKeys {
        Keyspace::new(&self.prefix).showtime(showtime)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    /// A new visitor: a client with its own cookie jar, hence its own session.
    pub fn session(&self) -> Session {
        self.session_with(reqwest::header::HeaderMap::new())
    }

    /// A new visitor at client address `ip`, as a trusted proxy in front of the app names it
    /// (the app must trust 127.0.0.1: `TRUSTED_PROXIES`).
    pub fn session_from(&self, ip: &str) -> Session {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().unwrap());
        self.session_with(headers)
    }

    fn session_with(&self, headers: reqwest::header::HeaderMap) -> Session {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Session {
            address: self.address.clone(),
            client: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .cookie_provider(jar.clone())
                .default_headers(headers)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar,
        }
    }

    /// Another instance of the application on the same Postgres database and Redis keys, as
    /// behind a load balancer.
    pub async fn second_instance(&self) -> TestApp {
        self.second_instance_with(&[]).await
    }

    /// Another instance, with `extra` settings as well.
    pub async fn second_instance_with(&self, extra: &[(&str, &str)]) -> TestApp {
        let mut extra = extra.to_vec();
        extra.push(("REDIS_KEY_PREFIX", self.prefix.as_str()));
        let settings = settings_with(&self.database_url, &self.redis_url, &extra);
        start(
            Application::build(settings)
                .await
                .expect("second instance builds"),
        )
        .await
    }

    /// An upcoming showtime in the named demo auditorium, with its seat count.
    pub async fn showtime_in(&self, auditorium: &str) -> (i64, i64) {
        sqlx::query_as(
            "SELECT s.id, (SELECT count(*) FROM seats WHERE auditorium_id = a.id)
               FROM showtimes s JOIN auditoriums a ON a.id = s.auditorium_id
              WHERE a.name = $1 AND s.starts_at > now()
              ORDER BY s.starts_at LIMIT 1",
        )
        .bind(auditorium)
        .fetch_one(&self.db)
        .await
        .expect("the demo catalog has upcoming showtimes in every auditorium")
    }

    /// A copy of `showtime` (same movie, auditorium and prices) that started five minutes ago.
    pub async fn started_copy_of(&self, showtime: i64) -> i64 {
        self.copy_of(showtime, "now() - interval '5 minutes'").await
    }

    /// A copy of `showtime` (same movie, auditorium and prices) starting at `starts_at`, a
    /// Postgres expression written by the test (e.g. `now() + interval '2 days'`).
    pub async fn copy_of(&self, showtime: i64, starts_at: &'static str) -> i64 {
        let copy: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "INSERT INTO showtimes (movie_id, auditorium_id, starts_at)
             SELECT movie_id, auditorium_id, {starts_at} FROM showtimes WHERE id = $1
             RETURNING id"
        )))
        .bind(showtime)
        .fetch_one(&self.db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO showtime_prices SELECT $1, kind, price_cents FROM showtime_prices
              WHERE showtime_id = $2",
        )
        .bind(copy)
        .bind(showtime)
        .execute(&self.db)
        .await
        .unwrap();
        copy
    }

    /// Seat ids of a showtime in layout order, with their names ("A1").
    pub async fn seats_of(&self, showtime: i64) -> Vec<(i64, String)> {
        sqlx::query_as(
            "SELECT se.id, se.row_label || se.number FROM seats se
               JOIN showtimes s ON s.auditorium_id = se.auditorium_id
              WHERE s.id = $1 ORDER BY se.grid_row, se.grid_col",
        )
        .bind(showtime)
        .fetch_all(&self.db)
        .await
        .unwrap()
    }

    /// The sold seats Redis knows of for a showtime.
    pub async fn redis_sold(&self, showtime: i64) -> Vec<i64> {
        let mut redis = self.redis.clone();
        let mut sold: Vec<i64> = redis::cmd("SMEMBERS")
            .arg(self.keys(showtime).sold())
            .query_async(&mut redis)
            .await
            .unwrap();
        sold.sort_unstable();
        sold
    }

    pub async fn postgres_sold(&self, showtime: i64) -> Vec<i64> {
        sqlx::query_scalar(
            "SELECT t.seat_id FROM tickets t JOIN orders o ON o.id = t.order_id
              WHERE t.showtime_id = $1 AND t.active AND o.status IN ('paid', 'fulfilled')
              ORDER BY t.seat_id",
        )
        .bind(showtime)
        .fetch_all(&self.db)
        .await
        .unwrap()
    }
}

/// A hung request fails the test after this long instead of stalling the run.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// One visitor talking to the JSON API.
pub struct Session {
    pub address: String,
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

/// Status and JSON body of an API call.
pub type Reply = (u16, Value);

impl Session {
    /// The `Cookie` header this visitor sends (after its first request).
    pub fn cookie(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = self.address.parse().unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// The session id this visitor's cookie carries (after its first request): the holder
    /// id the server keys its holds and place in line by.
    pub fn id(&self) -> String {
        let cookie = self.cookie();
        cookie
            .split("; ")
            .find_map(|pair| pair.strip_prefix("marquee_session="))
            .expect("a session cookie")
            .to_string()
    }

    pub async fn post(&self, endpoint: &str, body: Value) -> Reply {
        let response = self.post_response(endpoint, body).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The whole response, headers included.
    pub async fn post_response(&self, endpoint: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.address))
            .json(&body)
            .send()
            .await
            .expect("request failed")
    }

    pub async fn get(&self, path: &str) -> Reply {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request failed");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn hold(&self, showtime: i64, seats: &[i64]) -> Reply {
        self.post(
            "hold_seats",
            json!({ "showtime_id": showtime, "seat_ids": seats }),
        )
        .await
    }

    pub async fn release(&self, showtime: i64, seats: &[i64]) -> Reply {
        self.post(
            "release_seats",
            json!({ "showtime_id": showtime, "seat_ids": seats }),
        )
        .await
    }

    pub async fn release_all(&self, showtime: i64) -> Reply {
        self.post("release_all", json!({ "showtime_id": showtime }))
            .await
    }

    pub async fn extend(&self, showtime: i64) -> Reply {
        self.post("extend_hold", json!({ "showtime_id": showtime }))
            .await
    }

    pub async fn seat_map(&self, showtime: i64) -> Reply {
        self.get(&format!("/api/seat_map?showtime_id={showtime}"))
            .await
    }

    pub async fn join(&self, showtime: i64, party: u32) -> Reply {
        self.post(
            "line/join",
            json!({ "showtime_id": showtime, "party": party }),
        )
        .await
    }

    pub async fn leave(&self, showtime: i64) -> Reply {
        self.post("line/leave", json!({ "showtime_id": showtime }))
            .await
    }

    pub async fn decline(&self, showtime: i64) -> Reply {
        self.post("line/decline", json!({ "showtime_id": showtime }))
            .await
    }

    /// This visitor's place in line (`null` when not in it).
    pub async fn place(&self, showtime: i64) -> Value {
        let (status, place) = self
            .get(&format!("/api/line/place?showtime_id={showtime}"))
            .await;
        assert_eq!(status, 200, "{place}");
        place
    }

    /// The seats offered to this visitor (empty without an offer).
    pub async fn offered(&self, showtime: i64) -> Vec<i64> {
        let (status, map) = self.seat_map(showtime).await;
        assert_eq!(status, 200, "{map}");
        if map["offer"] != true {
            return Vec::new();
        }
        map["hold"]["seat_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    }

    pub async fn buy(&self, showtime: i64, seats: &[i64], card: &str, key: &str) -> Reply {
        self.post(
            "purchase",
            json!({ "request": {
                "showtime_id": showtime,
                "seat_ids": seats,
                "name": "Ada Lovelace",
                "email": "ada@example.com",
                "card_number": card,
                "idempotency_key": key,
            }}),
        )
        .await
    }
}

/// The Postgres server tests create their databases on (not a database URL).
pub fn database_server() -> String {
    std::env::var("TEST_DATABASE_SERVER")
        .unwrap_or_else(|_| "postgres://marquee:marquee@127.0.0.1:5432".to_string())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/1".to_string())
}

/// Creates an empty database with a unique `marquee_test_` name and returns its URL.
pub async fn create_database() -> String {
    let name = format!("marquee_test_{}", Uuid::new_v4().simple());
    let server = database_server();
    let mut admin = PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("test Postgres is reachable (run `make test`, which starts it)");
    // The name is generated above from a UUID, never from input.
    sqlx::query(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut admin)
        .await
        .expect("create test database");
    format!("{server}/{name}")
}

/// Settings for a test app: port 0, its own database and Redis key prefix, plus `extra`.
pub fn settings_with(database_url: &str, redis_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut vars: Vec<(String, String)> = vec![
        ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
        ("DATABASE_URL".into(), database_url.into()),
        ("DATABASE_MAX_CONNECTIONS".into(), "10".into()),
        ("REDIS_URL".into(), redis_url.into()),
        (
            "REDIS_KEY_PREFIX".into(),
            format!("t{}", Uuid::new_v4().simple()),
        ),
        ("SWEEP_INTERVAL_MS".into(), "100".into()),
        // Tests act as hundreds of visitors from one address; the limits have tests of
        // their own (`limits.rs`), which turn them on.
        ("RATE_LIMITS".into(), "false".into()),
        ("MAX_SEATS_PER_IP".into(), "100000".into()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::from_lookup(|name| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("test settings are valid")
}

pub fn settings(database_url: &str, redis_url: &str) -> Settings {
    settings_with(database_url, redis_url, &[])
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A test app with extra settings, e.g. `&[("HOLD_TTL_SECS", "1")]`.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let database_url = create_database().await;
    let redis = extra
        .iter()
        .find(|(k, _)| *k == "REDIS_URL")
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(redis_url);
    let app = Application::build(settings_with(&database_url, &redis, extra))
        .await
        .expect("application builds");
    start(app).await
}

/// Serves an application built from an explicit state (e.g. with a broken dependency).
pub async fn spawn_with_state(state: AppState) -> TestApp {
    let app = Application::bind(state).await.expect("bind");
    start(app).await
}

async fn start(app: Application) -> TestApp {
    start_until(app, std::future::pending()).await.0
}

/// A test app that stops when `stop` is sent; `stopped` ends once `run_until_stopped` has
/// returned (shutdown done).
pub struct StoppableApp {
    pub app: TestApp,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub stopped: tokio::task::JoinHandle<()>,
}

pub async fn spawn_stoppable_app_with(extra: &[(&str, &str)]) -> StoppableApp {
    let database_url = create_database().await;
    let app = Application::build(settings_with(&database_url, &redis_url(), extra))
        .await
        .expect("application builds");
    let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
    let (app, stopped) = start_until(app, async move {
        let _ = stopping.await;
    })
    .await;
    StoppableApp { app, stop, stopped }
}

async fn start_until(
    app: Application,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> (TestApp, tokio::task::JoinHandle<()>) {
    let address = format!("http://{}", app.address());
    let db = app.state().db.clone();
    let redis = app.state().redis.clone();
    let prefix = app.state().settings.redis_prefix.clone();
    let database_url = app.state().settings.database_url.clone();
    let redis_url = app.state().settings.redis_url.clone();
    let state = app.state().clone();
    let running = tokio::spawn(app.run_until_stopped(shutdown));
    let app = TestApp {
        address,
        database_url,
        redis_url,
        db,
        redis,
        prefix,
        client: new_client(),
        state,
    };
    (app, running)
}

/// Builds a state by hand, for tests that need a dependency pointing somewhere broken.
pub fn state(settings: Settings, db: PgPool, redis: redis::aio::ConnectionManager) -> AppState {
    let gateway = TestGateway::new(db.clone(), std::time::Duration::ZERO);
    state_with_gateway(settings, db, redis, Arc::new(gateway))
}

/// A state with another payment gateway.
pub fn state_with_gateway(
    settings: Settings,
    db: PgPool,
    redis: redis::aio::ConnectionManager,
    payments: Arc<dyn PaymentGateway>,
) -> AppState {
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("marquee")
        .site_addr(settings.site_addr)
        .build();
    AppState::new(options, db, redis.into(), settings, payments).expect("valid Redis URL")
}
