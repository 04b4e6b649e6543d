//! `GET /healthz`: up only when Postgres and Redis both answer.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;

use crate::helpers::{create_database, settings, spawn_app, spawn_with_state, state};

#[tokio::test]
async fn healthz_is_ok_when_postgres_and_redis_are_up() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["postgres"], "up");
    assert_eq!(body["redis"], "up");
}

/// A Redis connection manager pointed at a port where nothing listens.
fn dead_redis() -> ConnectionManager {
    let client = redis::Client::open("redis://127.0.0.1:1/0").unwrap();
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(300)))
        .set_response_timeout(Some(Duration::from_millis(300)))
        .set_number_of_retries(0);
    ConnectionManager::new_lazy_with_config(client, config).unwrap()
}

fn live_redis() -> ConnectionManager {
    let client = redis::Client::open(crate::helpers::redis_url()).unwrap();
    ConnectionManager::new_lazy_with_config(client, ConnectionManagerConfig::new()).unwrap()
}

#[tokio::test]
async fn healthz_is_503_when_postgres_is_down() {
    let database_url = "postgres://marquee:marquee@127.0.0.1:1/nothing";
    let settings = settings(database_url, &crate::helpers::redis_url());
    let db = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy(database_url)
        .unwrap();
    let app = spawn_with_state(state(settings, db, live_redis())).await;

    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["postgres"], "down");
    assert_eq!(body["redis"], "up");
}

#[tokio::test]
async fn healthz_is_503_when_redis_is_down() {
    let database_url = create_database().await;
    let settings = settings(&database_url, "redis://127.0.0.1:1/0");
    let db = PgPoolOptions::new().connect_lazy(&database_url).unwrap();
    let app = spawn_with_state(state(settings, db, dead_redis())).await;

    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["postgres"], "up");
    assert_eq!(body["redis"], "down");
}
