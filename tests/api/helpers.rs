//! `spawn_app()`: a running Marquee with its own database.

use std::sync::Arc;

use marquee::server::{AppState, Application, Settings};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
    pub db: PgPool,
    pub client: reqwest::Client,
}

impl TestApp {
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

pub fn settings(database_url: &str, redis_url: &str) -> Settings {
    let (database_url, redis_url) = (database_url.to_string(), redis_url.to_string());
    Settings::from_lookup(|name| match name {
        "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".to_string()),
        "DATABASE_URL" => Some(database_url.clone()),
        "DATABASE_MAX_CONNECTIONS" => Some("5".to_string()),
        "REDIS_URL" => Some(redis_url.clone()),
        _ => None,
    })
    .expect("test settings are valid")
}

pub async fn spawn_app() -> TestApp {
    let database_url = create_database().await;
    let app = Application::build(settings(&database_url, &redis_url()))
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
    let address = format!("http://{}", app.address());
    let db = app.state().db.clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        address,
        db,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

/// Builds a state by hand, for tests that need a dependency pointing somewhere broken.
pub fn state(settings: Settings, db: PgPool, redis: redis::aio::ConnectionManager) -> AppState {
    AppState {
        leptos_options: leptos::prelude::LeptosOptions::builder()
            .output_name("marquee")
            .site_addr(settings.site_addr)
            .build(),
        db,
        redis,
        settings: Arc::new(settings),
    }
}
