//! The JSON contract of the catalog endpoints (docs/api.md).

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn showtime_endpoint_returns_the_layout_as_json() {
    let app = spawn_app().await;
    let (showtime, seats) = app.showtime_in("Studio 2").await;
    let response = app.get(&format!("/api/showtime?id={showtime}")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], showtime);
    assert_eq!(body["auditorium"], "Studio 2");
    assert_eq!(
        body["layout"]["seats"].as_array().unwrap().len() as i64,
        seats
    );
    assert_eq!(body["prices"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn unknown_showtime_is_a_404_with_a_typed_error() {
    let app = spawn_app().await;
    let response = app.get("/api/showtime?id=987654321").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert_eq!(body["what"], "showtime 987654321");
}

#[tokio::test]
async fn malformed_arguments_are_a_400() {
    let app = spawn_app().await;
    let response = app.get("/api/showtime?id=abc").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "bad_input");
}

#[tokio::test]
async fn now_showing_lists_movies_with_days() {
    let app = spawn_app().await;
    let response = app.get("/api/now_showing").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let movies = body.as_array().unwrap();
    assert_eq!(movies.len(), 5);
    assert!(
        movies
            .iter()
            .any(|m| !m["days"].as_array().unwrap().is_empty())
    );
}
