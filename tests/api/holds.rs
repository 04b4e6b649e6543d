//! Seat holds through the real HTTP API, against real Redis.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with};

fn ids(value: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn a_hold_is_mine_to_me_and_held_to_others() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (a, b) = (app.session(), app.session());

    let (status, hold) = a.hold(showtime, &[seats[0].0, seats[1].0]).await;
    assert_eq!(status, 200, "{hold}");
    assert_eq!(ids(&hold["seat_ids"]), vec![seats[0].0, seats[1].0]);
    let left = hold["expires_in_ms"].as_i64().unwrap();
    assert!(left > 295_000 && left <= 300_000, "{left}");
    assert_eq!(hold["extensions_left"], 2);

    let (_, mine) = a.seat_map(showtime).await;
    assert_eq!(ids(&mine["hold"]["seat_ids"]), vec![seats[0].0, seats[1].0]);
    assert_eq!(ids(&mine["held"]), Vec::<i64>::new());

    let (_, theirs) = b.seat_map(showtime).await;
    assert_eq!(theirs["hold"], Value::Null);
    assert_eq!(ids(&theirs["held"]), vec![seats[0].0, seats[1].0]);
    // No answer ever carries another person's session.
    assert!(!theirs.to_string().contains("holder"));
}

#[tokio::test]
async fn a_conflicting_hold_changes_nothing_and_names_the_seat() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (a, b) = (app.session(), app.session());
    assert_eq!(a.hold(showtime, &[seats[2].0]).await.0, 200);

    let (status, error) = b
        .hold(showtime, &[seats[1].0, seats[2].0, seats[3].0])
        .await;
    assert_eq!(status, 409);
    assert_eq!(error["error"], "seat_taken");
    assert_eq!(error["seats"], serde_json::json!([seats[2].1]));

    // All or nothing: the two free seats were not held either.
    let (_, view) = app.session().seat_map(showtime).await;
    assert_eq!(ids(&view["held"]), vec![seats[2].0]);
    let (_, own) = b.seat_map(showtime).await;
    assert_eq!(own["hold"], Value::Null);
}

#[tokio::test]
async fn adding_seats_keeps_the_original_expiry() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    let first = a.hold(showtime, &[seats[0].0]).await.1["expires_in_ms"]
        .as_i64()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, second) = a.hold(showtime, &[seats[1].0]).await;
    assert_eq!(status, 200);
    let second_left = second["expires_in_ms"].as_i64().unwrap();
    assert!(
        second_left <= first - 1000,
        "clock was reset: {first} then {second_left}"
    );
    // Re-clicking a seat already held does not reset it either.
    let third = a.hold(showtime, &[seats[0].0]).await.1["expires_in_ms"]
        .as_i64()
        .unwrap();
    assert!(third <= second_left);
}

#[tokio::test]
async fn release_frees_own_seats_and_refuses_others() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (a, b) = (app.session(), app.session());
    a.hold(showtime, &[seats[0].0, seats[1].0, seats[2].0])
        .await;

    let (status, error) = b.release(showtime, &[seats[0].0]).await;
    assert_eq!(status, 403);
    assert_eq!(error["error"], "not_your_hold");
    assert_eq!(error["seats"], serde_json::json!([seats[0].1]));

    let (status, hold) = a.release(showtime, &[seats[0].0]).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&hold["seat_ids"]), vec![seats[1].0, seats[2].0]);
    // The freed seat can be held by someone else at once.
    assert_eq!(b.hold(showtime, &[seats[0].0]).await.0, 200);

    let (status, hold) = a.release_all(showtime).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&hold["seat_ids"]), Vec::<i64>::new());
    assert_eq!(hold["expires_in_ms"], 0);
    let (_, view) = app.session().seat_map(showtime).await;
    assert_eq!(ids(&view["held"]), vec![seats[0].0]);
}

#[tokio::test]
async fn holds_expire_and_the_release_is_announced() {
    let app = spawn_app_with(&[("HOLD_TTL_SECS", "1")]).await;
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let seats = app.seats_of(showtime).await;
    let (a, b) = (app.session(), app.session());
    let (_, hold) = a.hold(showtime, &[seats[0].0]).await;
    let version = hold["version"].as_u64().unwrap();
    assert_eq!(b.hold(showtime, &[seats[0].0]).await.0, 409);

    // TTL 1 s, sweeper every 100 ms: generous margin for a loaded CI machine.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, view) = b.seat_map(showtime).await;
    assert_eq!(
        ids(&view["held"]),
        Vec::<i64>::new(),
        "the seat is free again"
    );
    // The sweeper published the expiry: the version moved on without anyone acting.
    assert!(view["version"].as_u64().unwrap() > version, "{view}");
    assert_eq!(b.hold(showtime, &[seats[0].0]).await.0, 200);
    let (_, own) = a.seat_map(showtime).await;
    assert_eq!(own["hold"], Value::Null);
}

#[tokio::test]
async fn extensions_are_capped_even_across_release_and_rehold() {
    let app = spawn_app_with(&[("HOLD_EXTENSIONS", "2"), ("HOLD_EXTENSION_SECS", "60")]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    let before = a.hold(showtime, &[seats[0].0]).await.1["expires_in_ms"]
        .as_i64()
        .unwrap();

    let (status, first) = a.extend(showtime).await;
    assert_eq!(status, 200, "{first}");
    let after = first["expires_in_ms"].as_i64().unwrap();
    assert!(after >= before + 59_000, "{before} -> {after}");
    assert_eq!(first["extensions_left"], 1);
    assert_eq!(a.extend(showtime).await.0, 200);
    let (status, error) = a.extend(showtime).await;
    assert_eq!(status, 409);
    assert_eq!(error["error"], "extend_limit");

    // Releasing everything and holding again does not give the extensions back.
    a.release_all(showtime).await;
    let (_, again) = a.hold(showtime, &[seats[1].0]).await;
    assert_eq!(again["extensions_left"], 0);
    assert_eq!(a.extend(showtime).await.0, 409);
}

#[tokio::test]
async fn hold_limits_and_bad_input_are_refused_clearly() {
    let app = spawn_app_with(&[("MAX_SEATS_PER_HOLD", "4")]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let (other_showtime, _) = app.showtime_in("Screening Room").await;
    let seats = app.seats_of(showtime).await;
    let other_seats = app.seats_of(other_showtime).await;
    let a = app.session();
    let ids5: Vec<i64> = seats[..5].iter().map(|s| s.0).collect();

    let (status, error) = a.hold(showtime, &ids5).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (422, Some("too_many_seats"))
    );
    assert_eq!(error["max"], 4);
    assert_eq!(a.hold(showtime, &ids5[..3]).await.0, 200);
    let (status, _) = a.hold(showtime, &ids5[3..5]).await;
    assert_eq!(status, 422, "3 held + 2 more is over the limit of 4");

    let (status, error) = a.hold(showtime, &[other_seats[0].0]).await;
    assert_eq!((status, error["error"].as_str()), (400, Some("bad_input")));
    let (status, _) = a.hold(987_654_321, &[seats[0].0]).await;
    assert_eq!(status, 404);
    let (status, _) = a.hold(showtime, &[]).await;
    assert_eq!(status, 400);
    let (status, _) = a
        .post("hold_seats", serde_json::json!({ "showtime_id": "x" }))
        .await;
    assert_eq!(status, 400);

    // A showtime that has started cannot be held.
    let started = app.started_copy_of(showtime).await;
    let (status, error) = a.hold(started, &[seats[0].0]).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (409, Some("showtime_started"))
    );
}

#[tokio::test]
async fn cross_site_mutations_are_refused() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let response = app
        .client
        .post(app.url("/api/hold_seats"))
        .header("sec-fetch-site", "cross-site")
        .json(&serde_json::json!({ "showtime_id": showtime, "seat_ids": [seats[0].0] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = app
        .client
        .post(app.url("/api/hold_seats"))
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({ "showtime_id": showtime, "seat_ids": [seats[0].0] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let response = reqwest::get(app.url(&format!("/showtimes/{showtime}")))
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("a session cookie on the first visit to a page of one's own")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("marquee_session="), "{cookie}");
    let value = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert_eq!(value.len(), 32, "128 bits as hex");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
}
