//! The catalog's caches: HTTP validators and `Cache-Control` fit for a CDN, nothing of a
//! visitor's own made public, and the in-process cache emptied on every instance when the
//! catalog changes.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH, SET_COOKIE};
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn header(
    response: &reqwest::Response,
    name: impl reqwest::header::AsHeaderName,
) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

/// A client without a cookie store: every request is a first visit.
fn anonymous() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A first visit to the catalog's `path`: `200`, shareable under `policy`, and no session
/// handed out.
async fn first_visit(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    policy: &str,
) -> reqwest::Response {
    let first = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(first.status(), 200, "{path}");
    assert_eq!(
        header(&first, CACHE_CONTROL).as_deref(),
        Some(policy),
        "{path}"
    );
    assert_eq!(
        header(&first, SET_COOKIE),
        None,
        "{path}: no session handed out"
    );
    first
}

/// `path` asked for again, naming the validator(s) in `etag`.
async fn conditional_get(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    etag: &str,
) -> reqwest::Response {
    client
        .get(app.url(path))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap()
}

/// `path` asked for again with `etag`: a bodiless `304`.
async fn revalidate(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    etag: &str,
) -> reqwest::Response {
    let revalidated = conditional_get(client, app, path, etag).await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED, "{path}");
    revalidated
}

async fn a_movie(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM movies WHERE slug = 'orbit-of-glass'")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn catalog_answers_are_public_with_a_strong_etag_and_304_when_unchanged() {
    let app = spawn_app_with(&[("CATALOG_MAX_AGE_SECS", "5"), ("CATALOG_STALE_SECS", "7")]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let movie = a_movie(&app).await;
    let client = anonymous();
    for path in [
        "/api/now_showing".to_string(),
        format!("/api/movie?id={movie}"),
        format!("/api/showtime?id={showtime}"),
    ] {
        let policy = "public, max-age=5, stale-while-revalidate=7";
        let first = first_visit(&client, &app, &path, policy).await;
        let etag = header(&first, ETAG).expect("an ETag");
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong: {etag}"
        );
        let body = first.bytes().await.unwrap();

        // The same answer, byte for byte, under the same tag.
        let second = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(header(&second, ETAG).as_deref(), Some(etag.as_str()));
        assert_eq!(second.bytes().await.unwrap(), body);

        // Revalidation: unchanged is a bodiless 304 with the tag and the policy.
        let revalidated = revalidate(&client, &app, &path, &etag).await;
        assert_eq!(header(&revalidated, ETAG).as_deref(), Some(etag.as_str()));
        assert_eq!(header(&revalidated, CACHE_CONTROL).as_deref(), Some(policy));
        assert_eq!(
            header(&revalidated, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert!(revalidated.bytes().await.unwrap().is_empty());

        // Another tag (or a list without ours) gets the whole answer.
        let other = conditional_get(&client, &app, &path, "\"0000\", W/\"1111\"").await;
        assert_eq!(other.status(), 200);
        assert_eq!(other.bytes().await.unwrap(), body);
    }
}

#[tokio::test]
async fn catalog_pages_have_a_weak_etag_that_the_nonce_does_not_change() {
    let app = spawn_app().await;
    let movie = a_movie(&app).await;
    let client = anonymous();
    for path in ["/".to_string(), format!("/movies/{movie}")] {
        let policy = "public, max-age=30, stale-while-revalidate=60";
        let first = first_visit(&client, &app, &path, policy).await;
        let csp = header(&first, "content-security-policy").unwrap();
        let etag = header(&first, ETAG).expect("an ETag");
        assert!(etag.starts_with("W/\""), "weak: {etag}");

        // A new nonce on every response, the same tag while the content is the same.
        let second = client.get(app.url(&path)).send().await.unwrap();
        assert_ne!(header(&second, "content-security-policy").unwrap(), csp);
        assert_eq!(
            header(&second, ETAG).as_deref(),
            Some(etag.as_str()),
            "{path}"
        );

        // A 304 keeps the client's copy, whose scripts carry the nonce of the policy stored
        // with it: no new policy comes with it.
        let revalidated = revalidate(&client, &app, &path, &etag).await;
        assert_eq!(header(&revalidated, "content-security-policy"), None);
        assert_eq!(
            header(&revalidated, "x-frame-options").as_deref(),
            Some("DENY")
        );
        assert!(revalidated.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn nothing_of_a_visitors_own_and_no_cookie_is_ever_public() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let client = anonymous();
    // A visitor's own pages and answers hand out a session and stay private.
    for path in [
        format!("/showtimes/{showtime}"),
        format!("/api/seat_map?showtime_id={showtime}"),
    ] {
        let response = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(header(&response, SET_COOKIE).is_some(), "{path}");
        assert_eq!(
            header(&response, CACHE_CONTROL).as_deref(),
            Some("private, no-store"),
            "{path}"
        );
        assert_eq!(header(&response, ETAG), None, "{path}");
    }
    let order = client
        .get(app.url("/orders/NOSUCHORDER0"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&order, CACHE_CONTROL).as_deref(),
        Some("private, no-store")
    );

    // A returning visitor (with a cookie) gets the same shareable catalog, no new cookie.
    let visitor = app.session();
    visitor.seat_map(showtime).await;
    for path in ["/", "/api/now_showing"] {
        let response = visitor.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(header(&response, SET_COOKIE), None, "{path}");
        assert!(
            header(&response, CACHE_CONTROL)
                .unwrap()
                .starts_with("public, "),
            "{path}"
        );
    }

    // Errors of the catalog are not kept.
    for path in [
        "/api/movie?id=987654321",
        "/movies/987654321",
        "/api/movie?id=x",
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert!(response.status().is_client_error(), "{path}");
        assert_eq!(
            header(&response, CACHE_CONTROL).as_deref(),
            Some("no-store"),
            "{path}"
        );
        assert_eq!(header(&response, ETAG), None, "{path}");
    }
}

/// Every showtime id `now_showing` lists.
fn listed(now_showing: &Value) -> Vec<i64> {
    now_showing
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|movie| movie["days"].as_array().unwrap())
        .flat_map(|day| day["showtimes"].as_array().unwrap())
        .map(|showtime| showtime["id"].as_i64().unwrap())
        .collect()
}

async fn now_showing(app: &TestApp) -> Vec<i64> {
    listed(&app.get("/api/now_showing").await.json().await.unwrap())
}

async fn standard_price(app: &TestApp, showtime: i64) -> i64 {
    let detail: Value = app
        .get(&format!("/api/showtime?id={showtime}"))
        .await
        .json()
        .await
        .unwrap();
    detail["prices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "standard")
        .unwrap()["cents"]
        .as_i64()
        .unwrap()
}

/// Subscribers to the app's catalog channel, across every instance.
async fn listeners(app: &TestApp) -> i64 {
    let channel = format!("{}:catalog", app.prefix);
    let (_, count): (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(&channel)
        .query_async(&mut app.redis.clone())
        .await
        .unwrap();
    count
}

#[tokio::test]
async fn a_catalog_change_reaches_every_instance_at_once_not_after_the_ttl() {
    // An hour of TTL: whatever shows up within the test came by the announcement.
    let settings = [("CATALOG_CACHE_TTL_SECS", "3600")];
    let a = spawn_app_with(&settings).await;
    let b = a.second_instance_with(&settings).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while listeners(&a).await < 2 {
        assert!(
            Instant::now() < deadline,
            "both instances listen for changes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (showtime, _) = a.showtime_in("Studio 2").await;

    // B has the catalog cached, and booking on B the showtime's seats and prices.
    let before = now_showing(&b).await;
    let buyer = b.session();
    let (status, _) = buyer.seat_map(showtime).await;
    assert_eq!(status, 200);
    let seat = b
        .seats_of(showtime)
        .await
        .into_iter()
        .find(|(_, name)| name == "A1")
        .unwrap()
        .0;
    let price = standard_price(&b, showtime).await;
    let etag = header(&b.get("/api/now_showing").await, ETAG).unwrap();

    // A change in Postgres (as a staff edit would make it): a new showtime, a new price.
    let added = a
        .copy_of(
            showtime,
            "date_trunc('minute', now()) + interval '2 days 7 minutes 13 seconds'",
        )
        .await;
    sqlx::query(
        "UPDATE showtime_prices SET price_cents = price_cents + 100
          WHERE showtime_id = $1 AND kind = 'standard'",
    )
    .bind(showtime)
    .execute(&a.db)
    .await
    .unwrap();

    // Not announced yet: B still answers from its cache, and its validator still holds.
    assert!(!now_showing(&b).await.contains(&added));
    assert_eq!(standard_price(&b, showtime).await, price);
    let unchanged = conditional_get(&b.client, &b, "/api/now_showing", &etag).await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);

    // A announces it: A sees it at once, B as soon as Redis tells it.
    marquee::server::catalog::changed(&a.state).await;
    assert!(now_showing(&a).await.contains(&added));
    let announced = Instant::now();
    loop {
        let listing = now_showing(&b).await;
        if listing.contains(&added) {
            assert_eq!(listing.len(), before.len() + 1);
            break;
        }
        assert!(
            announced.elapsed() < Duration::from_secs(5),
            "B still serves the old catalog"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(standard_price(&b, showtime).await, price + 100);
    // The old validator no longer matches: the new catalog comes in full.
    let changed = conditional_get(&b.client, &b, "/api/now_showing", &etag).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(header(&changed, ETAG).unwrap(), etag);
    // Booking on B charges the new price: its showtime cache was emptied as well.
    let (status, hold) = buyer.hold(showtime, &[seat]).await;
    assert_eq!(status, 200, "{hold}");
    let (status, order) = buyer
        .buy(showtime, &[seat], "4242 4242 4242 4242", "catalog-change-1")
        .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["total_cents"], price + 100);
}
