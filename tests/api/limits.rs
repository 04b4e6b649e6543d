//! Abuse limits, against the real app, Redis and Postgres: sessions are free, so what a bot
//! could do with many of them is capped per client address, and every budget is shared by
//! every instance. Client addresses come from `X-Forwarded-For`, which the app trusts from
//! 127.0.0.1 here, as it would from its load balancer.

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with};
use crate::line::{error, full_house};

const DECLINE: &str = "4000000000000002";
const GOOD: &str = "4242424242424242";

async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![("RATE_LIMITS", "true"), ("TRUSTED_PROXIES", "127.0.0.1")];
    settings.extend_from_slice(extra);
    spawn_app_with(&settings).await
}

#[tokio::test]
async fn fresh_sessions_cannot_hoard_a_hall_past_the_address_cap_while_another_address_books() {
    let app = app_with(&[("MAX_SEATS_PER_IP", "12")]).await;
    let (showtime, _) = app.showtime_in("Grand Hall").await;
    let seats: Vec<i64> = app.seats_of(showtime).await.iter().map(|s| s.0).collect();

    // A bot behind one address, a fresh session (cookie) per request: three holds of four.
    let mut bots = Vec::new();
    for chunk in seats[..12].chunks(4) {
        let bot = app.session_from("203.0.113.7");
        let (status, body) = bot.hold(showtime, chunk).await;
        assert_eq!(status, 200, "{body}");
        bots.push(bot);
    }
    let refused = app
        .session_from("203.0.113.7")
        .hold(showtime, &seats[12..16])
        .await;
    assert_eq!(error(&refused), (422, "client_limit"), "{}", refused.1);
    assert_eq!(refused.1["max"], 12);

    // Someone else, elsewhere, still books.
    let (status, body) = app
        .session_from("198.51.100.20")
        .hold(showtime, &seats[12..16])
        .await;
    assert_eq!(status, 200, "{body}");

    // Released seats leave the address's count at once.
    assert_eq!(bots[0].release_all(showtime).await.0, 200);
    let (status, body) = app
        .session_from("203.0.113.7")
        .hold(showtime, &seats[20..24])
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_waiting_line_cannot_be_flooded_from_one_address() {
    let app = app_with(&[("MAX_SEATS_PER_IP", "12")]).await;
    let (showtime, _, _owner) = full_house(&app).await;
    for _ in 0..3 {
        let (status, body) = app.session_from("203.0.113.9").join(showtime, 4).await;
        assert_eq!(status, 200, "{body}");
    }
    let refused = app.session_from("203.0.113.9").join(showtime, 4).await;
    assert_eq!(error(&refused), (422, "client_limit"), "{}", refused.1);
    let (status, place) = app.session_from("198.51.100.30").join(showtime, 4).await;
    assert_eq!(status, 200, "{place}");
    assert_eq!(place["position"], 4);
}

/// The hold of `session`'s seats, as its seat map reports it.
fn expires_in(map: &Value) -> i64 {
    map["hold"]["expires_in_ms"].as_i64().expect("a hold")
}

#[tokio::test]
async fn card_testing_is_locked_out_and_a_declined_payment_never_extends_a_hold() {
    let app = app_with(&[
        ("RATE_DECLINES_PER_SESSION", "2/3600"),
        ("RATE_DECLINES_PER_CARD", "3/3600"),
        ("HOLD_TTL_SECS", "30"),
        ("CHECKOUT_GRACE_SECS", "600"),
    ])
    .await;
    let (showtime, _) = app.showtime_in("Grand Hall").await;
    let seats: Vec<i64> = app.seats_of(showtime).await.iter().map(|s| s.0).collect();

    let tester = app.session_from("203.0.113.50");
    assert_eq!(tester.hold(showtime, &seats[..1]).await.0, 200);
    let before = expires_in(&tester.seat_map(showtime).await.1);
    for attempt in 0..2 {
        let declined = tester
            .buy(
                showtime,
                &seats[..1],
                DECLINE,
                &format!("card-test-{attempt}"),
            )
            .await;
        assert_eq!(
            error(&declined),
            (402, "payment_declined"),
            "{}",
            declined.1
        );
        // The grace checkout gave for the payment is taken back: no time was bought.
        let after = expires_in(&tester.seat_map(showtime).await.1);
        assert!(
            after <= before,
            "{after} ms left after a decline, {before} before"
        );
    }
    // Past the session's budget of declines, the card is not even tried.
    let refused = tester
        .buy(showtime, &seats[..1], GOOD, "card-test-after")
        .await;
    assert_eq!(error(&refused), (429, "rate_limited"), "{}", refused.1);

    // The same card from another session and address: its third decline is its last.
    let other = app.session_from("198.51.100.60");
    assert_eq!(other.hold(showtime, &seats[1..2]).await.0, 200);
    let declined = other
        .buy(showtime, &seats[1..2], DECLINE, "card-test-o1")
        .await;
    assert_eq!(error(&declined), (402, "payment_declined"));
    let third = app.session_from("192.0.2.70");
    assert_eq!(third.hold(showtime, &seats[2..3]).await.0, 200);
    let refused = third
        .buy(showtime, &seats[2..3], DECLINE, "card-test-t1")
        .await;
    assert_eq!(error(&refused), (429, "rate_limited"), "{}", refused.1);
    // Another card still works for that person.
    let (status, order) = third
        .buy(showtime, &seats[2..3], GOOD, "card-test-t2")
        .await;
    assert_eq!(status, 200, "{order}");
}

#[tokio::test]
async fn a_refusal_is_429_with_the_wait_in_the_body_and_in_retry_after() {
    let app = app_with(&[("RATE_HOLDS_PER_SESSION", "3/60")]).await;
    let (showtime, _) = app.showtime_in("Grand Hall").await;
    let seats: Vec<i64> = app.seats_of(showtime).await.iter().map(|s| s.0).collect();
    let clicker = app.session_from("203.0.113.80");
    for seat in &seats[..3] {
        assert_eq!(clicker.hold(showtime, &[*seat]).await.0, 200);
    }
    let response = clicker
        .post_response(
            "hold_seats",
            serde_json::json!({ "showtime_id": showtime, "seat_ids": [seats[3]] }),
        )
        .await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited", "{body}");
    let wait = body["retry_after_ms"].as_u64().unwrap();
    assert!((1..=20_000).contains(&wait), "{body}");
    assert_eq!(retry_after, wait.div_ceil(1000).max(1));
}

#[tokio::test]
async fn one_budget_is_shared_by_two_instances() {
    let limits = [
        ("RATE_LIMITS", "true"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("RATE_HOLDS_PER_IP", "4/60"),
    ];
    let app = spawn_app_with(&limits).await;
    let other = app.second_instance_with(&limits).await;
    let (showtime, _) = app.showtime_in("Grand Hall").await;
    let seats: Vec<i64> = app.seats_of(showtime).await.iter().map(|s| s.0).collect();
    let ip = "203.0.113.90";
    for (i, seat) in seats[..4].iter().enumerate() {
        let instance = if i % 2 == 0 { &app } else { &other };
        let (status, body) = instance.session_from(ip).hold(showtime, &[*seat]).await;
        assert_eq!(status, 200, "{body}");
    }
    for instance in [&app, &other] {
        let refused = instance.session_from(ip).hold(showtime, &[seats[9]]).await;
        assert_eq!(error(&refused), (429, "rate_limited"), "{}", refused.1);
    }
}

#[tokio::test]
async fn sessions_handed_to_one_address_are_limited() {
    let app = app_with(&[("RATE_NEW_SESSIONS_PER_IP", "3/60")]).await;
    let (showtime, _) = app.showtime_in("Grand Hall").await;
    let seats: Vec<i64> = app.seats_of(showtime).await.iter().map(|s| s.0).collect();
    // Each request without a cookie is a new session.
    for seat in &seats[..3] {
        let status = app
            .session_from("203.0.113.99")
            .hold(showtime, &[*seat])
            .await
            .0;
        assert_eq!(status, 200);
    }
    let refused = app
        .session_from("203.0.113.99")
        .hold(showtime, &[seats[3]])
        .await;
    assert_eq!(error(&refused), (429, "rate_limited"), "{}", refused.1);
    // A page is still served (a crawler, a person), just without a new session.
    let page = app
        .session_from("203.0.113.99")
        .client
        .get(app.url(&format!("/showtimes/{showtime}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("set-cookie").is_none());
}
