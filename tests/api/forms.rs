//! The booking forms of the page without JavaScript (`/api/forms/*`): form-encoded posts
//! that run the same booking functions as the JSON API and answer `303 See Other`, with the
//! outcome for the next render of the page in a cookie that render clears.

use crate::helpers::{Session, TestApp, spawn_app};

/// Posts a form as a browser does from the page (same origin); the status and `Location`.
async fn post_form(session: &Session, action: &str, fields: &[(&str, String)]) -> (u16, String) {
    let body = fields
        .iter()
        .map(|(name, value)| format!("{name}={}", escape(value)))
        .collect::<Vec<_>>()
        .join("&");
    let response = session
        .client
        .post(format!("{}/api/forms/{action}", session.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .expect("request failed");
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (response.status().as_u16(), location)
}

fn escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The showtime page's HTML for this visitor.
async fn page(session: &Session, showtime: i64) -> String {
    session
        .client
        .get(format!("{}/showtimes/{showtime}", session.address))
        .send()
        .await
        .expect("request failed")
        .text()
        .await
        .unwrap()
}

async fn held_by(session: &Session, showtime: i64) -> Vec<i64> {
    let (status, map) = session.seat_map(showtime).await;
    assert_eq!(status, 200, "{map}");
    let mut ids: Vec<i64> = map["hold"]["seat_ids"]
        .as_array()
        .map(|ids| ids.iter().map(|id| id.as_i64().unwrap()).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

async fn studio(app: &TestApp) -> (i64, Vec<i64>) {
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await.iter().map(|s| s.0).collect();
    (showtime, seats)
}

#[tokio::test]
async fn seat_forms_hold_and_release_and_send_the_browser_back_to_the_seat() {
    let app = spawn_app().await;
    let (showtime, seats) = studio(&app).await;
    let visitor = app.session();
    page(&visitor, showtime).await; // the session cookie, as a first visit gets it
    for &seat in &seats[20..22] {
        let fields = [
            ("showtime_id", showtime.to_string()),
            ("seat_id", seat.to_string()),
        ];
        let (status, location) = post_form(&visitor, "hold", &fields).await;
        assert_eq!(status, 303);
        assert_eq!(location, format!("/showtimes/{showtime}#seat-{seat}"));
    }
    assert_eq!(held_by(&visitor, showtime).await, seats[20..22].to_vec());
    // The page says when the hold ends (the countdown needs JavaScript).
    assert!(
        page(&visitor, showtime)
            .await
            .contains("data-testid=\"hold-until\"")
    );

    let fields = [
        ("showtime_id", showtime.to_string()),
        ("seat_id", seats[20].to_string()),
    ];
    let (status, _) = post_form(&visitor, "release", &fields).await;
    assert_eq!(status, 303);
    assert_eq!(held_by(&visitor, showtime).await, vec![seats[21]]);
}

#[tokio::test]
async fn a_refused_form_comes_back_with_its_reason_shown_once() {
    let app = spawn_app().await;
    let (showtime, seats) = studio(&app).await;
    let other = app.session();
    assert_eq!(other.hold(showtime, &seats[30..31]).await.0, 200);
    let visitor = app.session();
    page(&visitor, showtime).await;
    let fields = [
        ("showtime_id", showtime.to_string()),
        ("seat_id", seats[30].to_string()),
    ];
    let (status, location) = post_form(&visitor, "hold", &fields).await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("/showtimes/{showtime}#notice"));
    assert!(held_by(&visitor, showtime).await.is_empty());
    // The next render says why; the one after it no longer does.
    let first = page(&visitor, showtime).await;
    assert!(
        first.contains("is no longer available"),
        "no reason on the page"
    );
    let second = page(&visitor, showtime).await;
    assert!(
        !second.contains("is no longer available"),
        "the reason was shown twice"
    );
}

#[tokio::test]
async fn checkout_by_form_pays_once_under_the_key_the_page_rendered() {
    let app = spawn_app().await;
    let (showtime, seats) = studio(&app).await;
    let visitor = app.session();
    page(&visitor, showtime).await;
    for &seat in &seats[40..42] {
        let fields = [
            ("showtime_id", showtime.to_string()),
            ("seat_id", seat.to_string()),
        ];
        assert_eq!(post_form(&visitor, "hold", &fields).await.0, 303);
    }
    let html = page(&visitor, showtime).await;
    let key = html
        .split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("checkout carries its purchase key")
        .to_string();
    let seat_list = format!("{},{}", seats[40], seats[41]);
    let checkout = [
        ("showtime_id", showtime.to_string()),
        ("seats", seat_list),
        ("key", key),
        ("name", "Ada Lovelace".to_string()),
        ("email", "ada@example.com".to_string()),
        ("card", "4242 4242 4242 4242".to_string()),
    ];
    let (status, location) = post_form(&visitor, "purchase", &checkout).await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/orders/"), "{location}");
    // The same form sent again (a double click, a resend) is the same order, not a second.
    let (status, again) = post_form(&visitor, "purchase", &checkout).await;
    assert_eq!((status, again), (303, location.clone()));
    assert_eq!(app.postgres_sold(showtime).await, seats[40..42].to_vec());
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(orders, 1);
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let app = spawn_app().await;
    let (showtime, seats) = studio(&app).await;
    let visitor = app.session();
    page(&visitor, showtime).await;
    let response = visitor
        .client
        .post(format!("{}/api/forms/hold", visitor.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(format!("showtime_id={showtime}&seat_id={}", seats[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert!(held_by(&visitor, showtime).await.is_empty());
}
