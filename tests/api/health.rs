//! `GET /healthz`: up only when Postgres and Redis both answer, and not while draining.

use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;

use crate::helpers::{
    create_database, settings, spawn_app, spawn_stoppable_app_with, spawn_with_state, state,
};

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

#[tokio::test]
async fn a_stopping_instance_drains_first_healthz_503_while_requests_still_succeed() {
    let drain = Duration::from_secs(3);
    let stoppable = spawn_stoppable_app_with(&[("DRAIN_SECS", "3")]).await;
    let app = &stoppable.app;
    assert_eq!(app.get("/healthz").await.status(), 200);

    let asked = Instant::now();
    stoppable.stop.send(()).unwrap();
    // The stop signal reaches the server's task a moment later.
    let health = loop {
        let response = app.get("/healthz").await;
        if response.status() == 503 {
            break response.json::<Value>().await.unwrap();
        }
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "draining starts at once"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(health, json!({ "status": "draining" }));

    // Everything else is served as usual, on kept-alive and new connections alike.
    assert_eq!(app.get("/api/now_showing").await.status(), 200);
    assert_eq!(app.get("/").await.status(), 200);
    let fresh = reqwest::Client::new();
    let page = fresh.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        asked.elapsed() < drain,
        "the requests above ran within the drain"
    );
    assert!(
        !stoppable.stopped.is_finished(),
        "still running while draining"
    );

    // Then the usual shutdown: the server stops and refuses new connections.
    tokio::time::timeout(drain + Duration::from_secs(10), stoppable.stopped)
        .await
        .expect("the server stops after draining")
        .unwrap();
    assert!(asked.elapsed() >= drain, "not before the drain is over");
    assert!(
        reqwest::Client::new()
            .get(app.url("/healthz"))
            .send()
            .await
            .is_err(),
        "nothing listens any more"
    );
}
