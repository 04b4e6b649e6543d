//! Who may open what on the staff side: every staff page and server function refuses
//! anonymous visitors and visitor sessions, box office where admin-only; and no staff
//! mutation is accepted from another site.

use crate::helpers::Session;
use crate::helpers::spawn_app;
use crate::staff::{PASSWORD, form, staff};
use marquee::server::staff::Role;
use marquee::server::staff::accounts::create_user;

/// A browser opening a page: status and `Location`.
async fn open(session: &Session, path: &str) -> (u16, String) {
    let response = session
        .client
        .get(format!("{}{path}", session.address))
        .header("accept", "text/html")
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

/// Every staff page, and whether box office may open it.
const PAGES: &[(&str, bool)] = &[
    ("/admin", true),
    ("/admin/box", true),
    ("/admin/showtimes/1", true),
    ("/admin/movies/new", false),
    ("/admin/movies/1", false),
    ("/admin/theaters/new", false),
    ("/admin/auditoriums/1", false),
    ("/admin/auditoriums/new?theater=1", false),
    ("/admin/schedule", false),
    ("/admin/staff", false),
    ("/admin/audit", false),
    ("/admin/reports/orders.csv?showtime=1", false),
    (
        "/admin/reports/days.csv?from=2026-01-01&to=2026-01-02",
        false,
    ),
];

/// Every staff server function, and whether box office may call it.
const CALLS: &[(&str, bool)] = &[
    ("me", true),
    ("overview", true),
    ("showtimes/dashboard", true),
    ("box/refund", true),
    ("box/block", true),
    ("box/unblock", true),
    ("box/sell", true),
    ("box/check-in", true),
    ("auditorium", false),
    ("audit", false),
    ("catalog/movie", false),
    ("catalog/theater", false),
    ("catalog/auditorium", false),
    ("catalog/showtime", false),
    ("catalog/showtime/cancel", false),
    ("staff", false),
    ("staff/list", false),
    ("staff/disabled", false),
    ("staff/password", false),
];

#[tokio::test]
async fn every_staff_page_and_call_refuses_visitors_and_box_office_where_admin_only() {
    let app = spawn_app().await;
    let anonymous = app.session();
    let visitor = app.session();
    visitor.seat_map(1).await; // a visitor session, which is not a staff session
    let box_office = staff(&app, Role::BoxOffice).await;
    let admin = staff(&app, Role::Admin).await;
    for (path, box_may) in PAGES {
        for who in [&anonymous, &visitor] {
            let (status, location) = open(who, path).await;
            assert_eq!(status, 303, "{path}");
            assert!(
                location.starts_with("/admin/login?next=/admin"),
                "{path}: {location}"
            );
            // A client that is not a browser is told, not redirected.
            let (status, _) = who.get(path).await;
            assert_eq!(status, 401, "{path}");
        }
        let (status, _) = open(&box_office, path).await;
        if *box_may {
            assert!(
                status != 401 && status != 403 && status != 303,
                "{path}: {status}"
            );
        } else {
            assert_eq!(status, 403, "box office on {path}");
        }
        let (status, _) = open(&admin, path).await;
        assert!(
            status != 401 && status != 403 && status != 303,
            "admin on {path}: {status}"
        );
    }
    for (call, box_may) in CALLS {
        for who in [&anonymous, &visitor] {
            let (status, body) = form(who, call, &[]).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (401, Some("sign_in_required")),
                "{call}"
            );
        }
        let (status, body) = form(&box_office, call, &[]).await;
        if *box_may {
            assert!(
                status != 401 && status != 403,
                "box office on {call}: {status} {body}"
            );
        } else {
            assert_eq!(
                (status, body["error"].as_str()),
                (403, Some("not_permitted")),
                "{call}"
            );
        }
        let (status, body) = form(&admin, call, &[]).await;
        assert!(
            status != 401 && status != 403,
            "admin on {call}: {status} {body}"
        );
    }
    // Guessing ids reaches nothing either: a staff call about another showtime is refused
    // before the id is looked at.
    let (status, _) = form(&visitor, "showtimes/dashboard", &[("showtime_id", "1")]).await;
    assert_eq!(status, 401);
    // Signing out ends the session.
    let (status, _) = form(&admin, "logout", &[]).await;
    assert_eq!(status, 200);
    let (status, _) = form(&admin, "overview", &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn staff_mutations_refuse_cross_site_posts_and_the_cookie_is_strict() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    assert!(admin.cookie().contains("marquee_staff="));
    let movies: i64 = sqlx::query_scalar("SELECT count(*) FROM movies")
        .fetch_one(&app.db)
        .await
        .unwrap();
    for (call, _) in CALLS
        .iter()
        .chain([("login", true), ("logout", true)].iter())
    {
        let response = admin
            .client
            .post(format!("{}/api/admin/{call}", admin.address))
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("id", "0"),
                ("title", "Forged"),
                ("runtime_minutes", "90"),
                ("rating", "PG"),
                ("synopsis", ""),
                ("poster_hue", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{call}");
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM movies")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(after, movies);
    // The cookie a sign-in sets is HttpOnly and SameSite=Strict.
    create_user(&app.db, "cookie@example.com", PASSWORD, Role::Admin, None)
        .await
        .unwrap();
    let response = app
        .session()
        .client
        .post(app.url("/api/admin/login"))
        .form(&[
            ("email", "cookie@example.com"),
            ("password", PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Max-Age="),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_staff_session_ends_when_it_expires_and_stores_only_a_hash() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    assert_eq!(form(&admin, "overview", &[]).await.0, 200);
    let token = admin
        .cookie()
        .split("; ")
        .find_map(|pair| pair.strip_prefix("marquee_staff="))
        .expect("a staff cookie")
        .to_string();
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM staff_sessions")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    sqlx::query("UPDATE staff_sessions SET expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let (status, body) = form(&admin, "overview", &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("sign_in_required"))
    );
}
