//! The schema: migrations apply and rerun cleanly, the ticket fence holds, and the demo
//! catalog loads once.

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::helpers::{create_database, spawn_app};

async fn empty_database() -> PgPool {
    let url = create_database().await;
    PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .unwrap()
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_rerun_as_a_no_op() {
    let db = empty_database().await;
    marquee::server::db::migrate(&db)
        .await
        .expect("migrations apply");
    marquee::server::db::migrate(&db)
        .await
        .expect("second run is a no-op");

    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "audit_log",
            "auditoriums",
            "movies",
            "on_sales",
            "orders",
            "seat_blocks",
            "seats",
            "secrets",
            "showtime_prices",
            "showtimes",
            "staff_sessions",
            "staff_users",
            "test_gateway_charges",
            "theaters",
            "tickets"
        ]
    );
}

#[tokio::test]
async fn a_seat_can_be_ticketed_only_once_per_showtime() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let seat: i64 = sqlx::query_scalar(
        "SELECT se.id FROM seats se JOIN showtimes s ON s.auditorium_id = se.auditorium_id
          WHERE s.id = $1 LIMIT 1",
    )
    .bind(showtime)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let mut order_ids = Vec::new();
    for key in ["first", "second"] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO orders (code, showtime_id, session_id, buyer_name, buyer_email,
                                 total_cents, card_last4, idempotency_key, request_hash,
                                 payment_key)
             VALUES ($1, $2, 's', 'n', 'e@example.com', 0, '4242', $1, 'h', 'p-' || $1)
             RETURNING id",
        )
        .bind(key)
        .bind(showtime)
        .fetch_one(&app.db)
        .await
        .unwrap();
        order_ids.push(id);
    }
    let insert = |order: i64| {
        sqlx::query(
            "INSERT INTO tickets (order_id, showtime_id, seat_id, price_cents) VALUES ($1, $2, $3, 0)",
        )
        .bind(order)
        .bind(showtime)
        .bind(seat)
        .execute(&app.db)
    };
    insert(order_ids[0]).await.expect("first ticket");
    let err = insert(order_ids[1])
        .await
        .expect_err("second ticket for the same seat");
    let constraint = err
        .as_database_error()
        .and_then(|e| e.constraint().map(str::to_owned));
    assert_eq!(constraint.as_deref(), Some("tickets_seat_fence"));
    // A ticket that no longer holds its seat (its order failed or was refunded) frees it.
    sqlx::query("UPDATE tickets SET active = false WHERE order_id = $1")
        .bind(order_ids[0])
        .execute(&app.db)
        .await
        .unwrap();
    insert(order_ids[1]).await.expect("the seat is free again");
}

#[tokio::test]
async fn demo_catalog_loads_once_and_tops_up_idempotently() {
    let db = empty_database().await;
    marquee::server::db::migrate(&db).await.unwrap();
    marquee::server::catalog::demo::ensure(&db).await.unwrap();
    let counts = || async {
        sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(
            "SELECT (SELECT count(*) FROM theaters), (SELECT count(*) FROM movies),
                    (SELECT count(*) FROM auditoriums), (SELECT count(*) FROM seats),
                    (SELECT count(*) FROM showtimes)",
        )
        .fetch_one(&db)
        .await
        .unwrap()
    };
    let first = counts().await;
    assert_eq!(
        (first.0, first.1, first.2, first.3),
        (1, 5, 3, 352 + 140 + 8)
    );
    assert!(first.4 > 0);

    // Two instances starting at once: the advisory lock lets one load, the other top up.
    let (a, b) = tokio::join!(
        marquee::server::catalog::demo::ensure(&db),
        marquee::server::catalog::demo::ensure(&db)
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(counts().await, first);

    // Every showtime has a price for every seat kind.
    let unpriced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM showtimes s
          WHERE (SELECT count(*) FROM showtime_prices p WHERE p.showtime_id = s.id) <> 4",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(unpriced, 0);
}
