//! The staff side: signing in, the audit log, the catalog. Who may open what, and CSRF, are
//! in `staff_access.rs`; box office (refunds, blocks, counter sales, check-in) in
//! `staff_box.rs`.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{Session, TestApp, spawn_app, spawn_app_with};
use crate::live::SOON;
use marquee::server::staff::Role;
use marquee::server::staff::accounts::create_user;

pub const PASSWORD: &str = "correct-horse-battery";

/// A staff member of `role`, signed in.
pub async fn staff(app: &TestApp, role: Role) -> Session {
    let email = format!(
        "{}-{}@example.com",
        role.as_str(),
        uuid::Uuid::new_v4().simple()
    );
    create_user(&app.db, &email, PASSWORD, role, None)
        .await
        .expect("staff account");
    let session = app.session();
    let (status, body) = form(
        &session,
        "login",
        &[
            ("email", &email),
            ("password", PASSWORD),
            ("next", "/admin"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    session
}

/// Posts a staff form as an API client (no `Accept: text/html`): status and JSON.
pub async fn form(session: &Session, endpoint: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let response = session
        .client
        .post(format!("{}/api/admin/{endpoint}", session.address))
        .form(fields)
        .send()
        .await
        .expect("request failed");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_and_every_attempt_is_audited() {
    let app = spawn_app().await;
    create_user(&app.db, "lock@example.com", PASSWORD, Role::Admin, None)
        .await
        .unwrap();
    let guesser = app.session();
    let login = |password: &'static str| {
        let guesser = &guesser;
        async move {
            form(
                guesser,
                "login",
                &[
                    ("email", "lock@example.com"),
                    ("password", password),
                    ("next", ""),
                ],
            )
            .await
        }
    };
    for attempt in 1..=4 {
        let (status, body) = login("wrong-password").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("bad_credentials")),
            "{attempt}"
        );
    }
    let (status, body) = login("wrong-password").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (423, Some("account_locked")),
        "{body}"
    );
    // Locked: even the right password is refused until the lock ends.
    let (status, _) = login(PASSWORD).await;
    assert_eq!(status, 423);
    // An unknown email gets the same answer as a wrong password.
    let (status, body) = form(
        &guesser,
        "login",
        &[
            ("email", "nobody@example.com"),
            ("password", "x"),
            ("next", ""),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("bad_credentials"))
    );
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'login.failed'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(failed, 6);
    // The lock lapses.
    sqlx::query("UPDATE staff_users SET locked_until = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let (status, body) = login(PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    // Passwords are stored as argon2id hashes.
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM staff_users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_address() {
    let app = spawn_app_with(&[
        ("RATE_LIMITS", "true"),
        ("RATE_STAFF_LOGINS_PER_IP", "3/60"),
    ])
    .await;
    let guesser = app.session();
    for _ in 0..3 {
        let (status, _) = form(
            &guesser,
            "login",
            &[("email", "a@example.com"), ("password", "x"), ("next", "")],
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, body) = form(
        &guesser,
        "login",
        &[("email", "a@example.com"), ("password", "x"), ("next", "")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("rate_limited"))
    );
}

#[tokio::test]
async fn catalog_changes_are_validated_audited_and_reach_every_instance() {
    let app = spawn_app().await;
    let other = app.second_instance().await;
    let admin = staff(&app, Role::Admin).await;
    let (status, body) = form(
        &admin,
        "catalog/movie",
        &[
            ("id", "0"),
            ("title", ""),
            ("runtime_minutes", "x"),
            ("rating", "PG"),
            ("synopsis", ""),
            ("poster_hue", "20"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("title must have 1 to 200 characters"))
    );
    let (status, movie) = form(
        &admin,
        "catalog/movie",
        &[
            ("id", "0"),
            ("title", "Staff Premiere"),
            ("runtime_minutes", "100"),
            ("rating", "12A"),
            ("synopsis", "New"),
            ("poster_hue", "20"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{movie}");
    let movie_id = movie["id"].as_i64().unwrap().to_string();
    let theater: i64 = sqlx::query_scalar("SELECT id FROM theaters ORDER BY id LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (status, room) = form(
        &admin,
        "catalog/auditorium",
        &[
            ("id", "0"),
            ("theater_id", &theater.to_string()),
            ("name", "Room Nine"),
            ("layout", "A: ss.ss\nB: pp.pp\n\nC: wc"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{room}");
    let room_id = room["id"].as_i64().unwrap().to_string();
    let seats: i64 = sqlx::query_scalar("SELECT count(*) FROM seats WHERE auditorium_id = $1")
        .bind(room["id"].as_i64().unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(seats, 10);
    // The other instance has the movie cached, with nothing scheduled.
    let path = format!("/api/movie?id={movie_id}");
    let (status, before) = other.session().get(&path).await;
    assert_eq!(
        (status, before["days"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{before}"
    );
    let day: String = sqlx::query_scalar("SELECT to_char(now() + interval '3 days', 'YYYY-MM-DD')")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let at = |time: &str| format!("{day}T{time}");
    let (status, showtime) = form(
        &admin,
        "catalog/showtime",
        &[
            ("movie_id", &movie_id),
            ("auditorium_id", &room_id),
            ("starts_at", &at("20:00")),
            ("price_standard", "10"),
            ("price_premium", "12.50"),
            ("price_wheelchair", "10"),
            ("price_companion", "10"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{showtime}");
    let showtime_id = showtime["id"].as_i64().unwrap();
    // The other instance forgets its copy when the announcement reaches it over Redis
    // pub/sub: a moment after the change, not necessarily before the next request.
    let heard = Instant::now();
    loop {
        let (status, after) = other.session().get(&path).await;
        assert_eq!(status, 200);
        if after["days"]
            .to_string()
            .contains(&format!("\"id\":{showtime_id}"))
        {
            break;
        }
        assert!(
            heard.elapsed() < SOON,
            "still cached after {SOON:?}: {after}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, detail) = other
        .session()
        .get(&format!("/api/showtime?id={showtime_id}"))
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["movie_title"], "Staff Premiere");
    assert_eq!(detail["layout"]["seats"].as_array().unwrap().len(), 10);
    // The room is busy until the movie ends plus the turnaround.
    let (status, clash) = form(
        &admin,
        "catalog/showtime",
        &[
            ("movie_id", &movie_id),
            ("auditorium_id", &room_id),
            ("starts_at", &at("21:50")),
            ("price_standard", "10"),
            ("price_premium", "10"),
            ("price_wheelchair", "10"),
            ("price_companion", "10"),
        ],
    )
    .await;
    assert_eq!(
        (status, clash["error"].as_str()),
        (409, Some("conflict")),
        "{clash}"
    );
    let (status, _) = form(
        &admin,
        "catalog/showtime",
        &[
            ("movie_id", &movie_id),
            ("auditorium_id", &room_id),
            ("starts_at", &at("21:55")),
            ("price_standard", "10"),
            ("price_premium", "10"),
            ("price_wheelchair", "10"),
            ("price_companion", "10"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    // Cancelled: it stops selling, on every instance.
    let (status, _) = form(
        &admin,
        "catalog/showtime/cancel",
        &[("showtime_id", &showtime_id.to_string())],
    )
    .await;
    assert_eq!(status, 200);
    let seat = detail["layout"]["seats"][0]["id"].as_i64().unwrap();
    let (status, refused) = other.session().hold(showtime_id, &[seat]).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (409, Some("showtime_cancelled"))
    );
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE user_id IS NOT NULL AND action NOT LIKE 'login%' ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        actions,
        [
            "movie.create",
            "auditorium.save",
            "showtime.create",
            "showtime.create",
            "showtime.cancel"
        ]
    );
}

#[tokio::test]
async fn overlapping_showtimes_scheduled_at_once_are_refused_but_one() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    let (movie, room): (i64, i64) =
        sqlx::query_as("SELECT (SELECT min(id) FROM movies), (SELECT min(id) FROM auditoriums)")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let (movie, room) = (movie.to_string(), room.to_string());
    let attempts = (0..8).map(|i| {
        let admin = &admin;
        let (movie, room) = (movie.clone(), room.clone());
        async move {
            let at = format!("2031-01-10T{:02}:{:02}", 18, i * 5);
            form(
                admin,
                "catalog/showtime",
                &[
                    ("movie_id", &movie),
                    ("auditorium_id", &room),
                    ("starts_at", &at),
                    ("price_standard", "9"),
                    ("price_premium", "9"),
                    ("price_wheelchair", "9"),
                    ("price_companion", "9"),
                ],
            )
            .await
            .0
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn an_admin_disables_an_account_and_sets_passwords_but_never_the_last_admin_out() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    let clerk = staff(&app, Role::BoxOffice).await;
    let (status, accounts) = form(&admin, "staff/list", &[]).await;
    assert_eq!(status, 200, "{accounts}");
    let id_of = |role: &str| {
        accounts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["role"] == role)
            .map(|a| a["id"].as_i64().unwrap().to_string())
            .unwrap()
    };
    let (admin_id, clerk_id) = (id_of("admin"), id_of("box_office"));
    let clerk_email = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "box_office")
        .unwrap()["email"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(form(&clerk, "overview", &[]).await.0, 200);
    // Disabled: the clerk's session ends at once, and signing in fails like a wrong password.
    let (status, done) = form(
        &admin,
        "staff/disabled",
        &[("id", &clerk_id), ("disabled", "true")],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(form(&clerk, "overview", &[]).await.0, 401);
    let again = app.session();
    let (status, body) = form(
        &again,
        "login",
        &[
            ("email", &clerk_email),
            ("password", PASSWORD),
            ("next", ""),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("bad_credentials"))
    );
    // Enabled again, with a new password; the old one no longer works.
    assert_eq!(
        form(
            &admin,
            "staff/disabled",
            &[("id", &clerk_id), ("disabled", "false")]
        )
        .await
        .0,
        200
    );
    let (status, body) = form(
        &admin,
        "staff/password",
        &[("id", &clerk_id), ("password", "short")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        form(
            &admin,
            "staff/password",
            &[("id", &clerk_id), ("password", "a-brand-new-password")]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        form(
            &again,
            "login",
            &[
                ("email", &clerk_email),
                ("password", PASSWORD),
                ("next", "")
            ]
        )
        .await
        .0,
        401
    );
    assert_eq!(
        form(
            &again,
            "login",
            &[
                ("email", &clerk_email),
                ("password", "a-brand-new-password"),
                ("next", "")
            ]
        )
        .await
        .0,
        200
    );
    // The only admin cannot be disabled.
    let (status, body) = form(
        &admin,
        "staff/disabled",
        &[("id", &admin_id), ("disabled", "true")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'staff.%' AND action <> 'staff.create' ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(actions, ["staff.disable", "staff.enable", "staff.password"]);
}
