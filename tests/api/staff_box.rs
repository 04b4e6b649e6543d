//! Box office: refunds (the seats to the waiting line first, finished by the reconciler when
//! cut short), blocked seats (racing holds), layouts that keep sold seats, reports. The
//! counter (cash sales, check-in) is in `staff_counter.rs`.

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};
use crate::staff::{form, staff};
use marquee::server::staff::Role;

const GOOD_CARD: &str = "4242 4242 4242 4242";

/// A new room with `layout` and a showtime in it three days ahead: (showtime, room, seats).
pub async fn small_show(
    app: &TestApp,
    admin: &crate::helpers::Session,
    layout: &str,
) -> (i64, i64, Vec<(i64, String)>) {
    let theater: i64 = sqlx::query_scalar("SELECT min(id) FROM theaters")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let movie: i64 = sqlx::query_scalar("SELECT min(id) FROM movies")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let name = format!("Room {}", uuid::Uuid::new_v4().simple());
    let (status, room) = form(
        admin,
        "catalog/auditorium",
        &[
            ("id", "0"),
            ("theater_id", &theater.to_string()),
            ("name", &name),
            ("layout", layout),
        ],
    )
    .await;
    assert_eq!(status, 200, "{room}");
    let room = room["id"].as_i64().unwrap();
    let at: String =
        sqlx::query_scalar("SELECT to_char(now() + interval '3 days', 'YYYY-MM-DD\"T\"20:00')")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let (status, showtime) = form(
        admin,
        "catalog/showtime",
        &[
            ("movie_id", &movie.to_string()),
            ("auditorium_id", &room.to_string()),
            ("starts_at", &at),
            ("price_standard", "10"),
            ("price_premium", "10"),
            ("price_wheelchair", "10"),
            ("price_companion", "10"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{showtime}");
    let showtime = showtime["id"].as_i64().unwrap();
    (showtime, room, app.seats_of(showtime).await)
}

#[tokio::test]
async fn a_refund_refunds_the_charge_and_offers_the_seats_to_the_waiting_line_first() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    let clerk = staff(&app, Role::BoxOffice).await;
    let (showtime, _, seats) = small_show(&app, &admin, "A: ss").await;
    let ids: Vec<i64> = seats.iter().map(|s| s.0).collect();
    let buyer = app.session();
    assert_eq!(buyer.hold(showtime, &ids).await.0, 200);
    let (status, order) = buyer
        .buy(showtime, &ids, GOOD_CARD, "refund-key-0001")
        .await;
    assert_eq!(status, 200, "{order}");
    let code = order["code"].as_str().unwrap().to_string();
    let waiting = app.session();
    let (status, place) = waiting.join(showtime, 2).await;
    assert_eq!(status, 200, "{place}");
    let walk_in = app.session();
    let (status, done) = form(&clerk, "box/refund", &[("code", &code)]).await;
    assert_eq!(status, 200, "{done}");
    // The person in line has the seats; nobody else can take them meanwhile.
    let mut offered = waiting.offered(showtime).await;
    offered.sort_unstable();
    assert_eq!(offered, ids);
    assert_eq!(walk_in.hold(showtime, &ids[..1]).await.0, 409);
    let ledger: String = sqlx::query_scalar("SELECT status FROM test_gateway_charges WHERE charge_id = (SELECT charge_id FROM orders WHERE code = $1)")
        .bind(&code)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(ledger, "refunded");
    assert!(app.postgres_sold(showtime).await.is_empty());
    // A second refund changes nothing.
    let (status, again) = form(&clerk, "box/refund", &[("code", &code)]).await;
    assert_eq!((status, again["error"].as_str()), (409, Some("conflict")));
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'order.refund' AND target = $1",
    )
    .bind(format!("order {code}"))
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn blocked_seats_cannot_be_held_and_a_block_racing_holds_never_shares_a_seat() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    let clerk = staff(&app, Role::BoxOffice).await;
    let (showtime, _, seats) = small_show(&app, &admin, "A: ssssssss\nB: ssssssss").await;
    let sid = showtime.to_string();
    let (status, done) = form(
        &clerk,
        "box/block",
        &[
            ("showtime_id", &sid),
            ("seats", "a1 A2"),
            ("reason", "House seats"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let visitor = app.session();
    let (status, body) = visitor.hold(showtime, &[seats[0].0]).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("seat_taken")));
    let (_, map) = visitor.seat_map(showtime).await;
    assert!(
        map["sold"].to_string().contains(&seats[0].0.to_string()),
        "{map}"
    );
    // Blocks and holds race for each seat of row B: each seat ends up with exactly one.
    for (id, name) in &seats[8..16] {
        let racers: Vec<_> = (0..4).map(|_| app.session()).collect();
        let seat = [*id];
        let holds = racers.iter().map(|r| r.hold(showtime, &seat));
        let fields = [
            ("showtime_id", sid.as_str()),
            ("seats", name.as_str()),
            ("reason", "Broken"),
        ];
        let block = form(&clerk, "box/block", &fields);
        let (held, (blocked, _)) = tokio::join!(futures::future::join_all(holds), block);
        let holders = held.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(
            holders + usize::from(blocked == 200),
            1,
            "{name}: {held:?} {blocked}"
        );
    }
    // Unblocked seats are free again.
    let (status, _) = form(
        &clerk,
        "box/unblock",
        &[("showtime_id", &sid), ("seats", "A1")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(visitor.hold(showtime, &[seats[0].0]).await.0, 200);
    let (status, body) = form(
        &clerk,
        "box/unblock",
        &[("showtime_id", &sid), ("seats", "A3")],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("conflict")));
    // Redis lost everything: the blocks come back from Postgres.
    redis::cmd("FLUSHDB")
        .query_async::<()>(&mut app.redis.clone())
        .await
        .unwrap();
    let (status, body) = app.session().hold(showtime, &[seats[1].0]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("seat_taken")),
        "{body}"
    );
}

#[tokio::test]
async fn a_new_layout_keeps_every_seat_with_tickets() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    let (showtime, room, seats) = small_show(&app, &admin, "A: ssss\nB: ssss").await;
    let b2 = seats.iter().find(|s| s.1 == "B2").unwrap().0;
    let buyer = app.session();
    assert_eq!(buyer.hold(showtime, &[b2]).await.0, 200);
    assert_eq!(
        buyer
            .buy(showtime, &[b2], GOOD_CARD, "layout-key-0001")
            .await
            .0,
        200
    );
    let save = |layout: &'static str| {
        let admin = &admin;
        async move {
            form(
                admin,
                "catalog/auditorium",
                &[
                    ("id", &room.to_string()),
                    ("theater_id", "0"),
                    ("name", "Renamed"),
                    ("layout", layout),
                ],
            )
            .await
        }
    };
    // Dropping row B, or renumbering it (one seat left, B1), is refused and changes nothing.
    let (status, body) = save("A: ssss").await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("B2"), "{body}");
    let (status, _) = save("A: ssss\nB: ...s").await;
    assert_eq!(status, 409);
    assert_eq!(app.seats_of(showtime).await.len(), 8);
    // Moving B2, changing kinds and removing unsold seats is fine; B2 keeps its id.
    let (status, body) = save("A: pppp\n\nB: ss").await;
    assert_eq!(status, 200, "{body}");
    let after = app.seats_of(showtime).await;
    assert_eq!(after.len(), 6);
    assert!(after.contains(&(b2, "B2".to_string())), "{after:?}");
    let (status, bad) = save("A: sxs").await;
    assert_eq!(
        (status, bad["message"].as_str()),
        (
            400,
            Some("layout: line 1: 'x' is not a seat (s, p, w, c) or a gap (.)")
        )
    );
}

#[tokio::test]
async fn reports_list_orders_per_showtime_and_per_day_as_csv() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    let (showtime, _, seats) = small_show(&app, &admin, "A: ss").await;
    let buyer = app.session();
    assert_eq!(buyer.hold(showtime, &[seats[0].0]).await.0, 200);
    let (_, order) = buyer
        .buy(showtime, &[seats[0].0], GOOD_CARD, "report-key-0001")
        .await;
    let get = |path: String| {
        let admin = &admin;
        async move {
            let response = admin
                .client
                .get(format!("{}{path}", admin.address))
                .send()
                .await
                .unwrap();
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            (
                response.status().as_u16(),
                kind,
                response.text().await.unwrap(),
            )
        }
    };
    let (status, kind, csv) = get(format!("/admin/reports/orders.csv?showtime={showtime}")).await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "order,created_at,status,payment,seats,tickets,total,staff"
    );
    assert!(
        lines[1].starts_with(&format!("{},", order["code"].as_str().unwrap())),
        "{csv}"
    );
    assert!(lines[1].contains(",fulfilled,card,A1,1,10.00,"), "{csv}");
    let today: String =
        sqlx::query_scalar("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let (status, _, csv) = get(format!("/admin/reports/days.csv?from={today}&to={today}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        csv.lines().nth(1),
        Some(format!("{today},1,1,10.00,0").as_str()),
        "{csv}"
    );
    let (status, _, body) =
        get("/admin/reports/days.csv?from=2026-02-01&to=2025-01-01".into()).await;
    assert_eq!(status, 400, "{body}");
    let _: Value = serde_json::from_str(&body).unwrap();
}

#[tokio::test]
async fn a_seat_redis_still_counts_as_sold_while_postgres_has_it_free_is_freed_by_the_reconciler() {
    let app = crate::helpers::spawn_app_with(&[("RECONCILE_INTERVAL_MS", "200")]).await;
    let admin = staff(&app, Role::Admin).await;
    let (showtime, _, seats) = small_show(&app, &admin, "A: ss").await;
    let sid = showtime.to_string();
    assert_eq!(
        form(
            &admin,
            "box/block",
            &[("showtime_id", &sid), ("seats", "A1"), ("reason", "House")]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        form(
            &admin,
            "box/unblock",
            &[("showtime_id", &sid), ("seats", "A1")]
        )
        .await
        .0,
        200
    );
    // What a reconciler pass that read Postgres just before the unblock would write.
    let _: i64 = redis::cmd("SADD")
        .arg(app.keys(showtime).sold())
        .arg(seats[0].0)
        .query_async(&mut app.redis.clone())
        .await
        .unwrap();
    let visitor = app.session();
    assert_eq!(visitor.hold(showtime, &[seats[0].0]).await.0, 409);
    let mut held = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if visitor.hold(showtime, &[seats[0].0]).await.0 == 200 {
            held = true;
            break;
        }
    }
    assert!(held, "A1 stayed sold in Redis though Postgres has it free");
}

#[tokio::test]
async fn a_refund_cut_short_is_finished_by_the_reconciler() {
    let app = crate::helpers::spawn_app_with(&[("RECONCILE_INTERVAL_MS", "200")]).await;
    let admin = staff(&app, Role::Admin).await;
    let (showtime, _, seats) = small_show(&app, &admin, "A: ss").await;
    let buyer = app.session();
    assert_eq!(buyer.hold(showtime, &[seats[0].0]).await.0, 200);
    let (status, order) = buyer
        .buy(showtime, &[seats[0].0], GOOD_CARD, "cut-short-key-01")
        .await;
    assert_eq!(status, 200, "{order}");
    let code = order["code"].as_str().unwrap();
    // What a refund leaves when its process dies after the first step: `refunding`, the
    // charge not refunded, the seat still taken.
    sqlx::query(
        "UPDATE orders SET status = 'refunding', updated_at = now() - interval '1 hour'
          WHERE code = $1",
    )
    .bind(code)
    .execute(&app.db)
    .await
    .unwrap();
    let (status, body) = form(&admin, "box/refund", &[("code", code)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let mut status = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = sqlx::query_scalar("SELECT status FROM orders WHERE code = $1")
            .bind(code)
            .fetch_one(&app.db)
            .await
            .unwrap();
        if status == "refunded" {
            break;
        }
    }
    assert_eq!(status, "refunded");
    let ledger: String = sqlx::query_scalar(
        "SELECT status FROM test_gateway_charges WHERE charge_id = (SELECT charge_id FROM orders WHERE code = $1)",
    )
    .bind(code)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(ledger, "refunded");
    assert_eq!(app.session().hold(showtime, &[seats[0].0]).await.0, 200);
}
