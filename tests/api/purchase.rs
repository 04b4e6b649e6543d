//! Checkout through the real HTTP API: Redis holds, the test gateway, Postgres orders.

use std::sync::Arc;

use marquee::server::booking::payment::{
    BoxFuture, Charge, ChargeRequest, PaymentError, PaymentGateway, Settled, TestGateway,
};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{
    create_database, redis_url, settings, spawn_app, spawn_app_with, spawn_with_state,
    state_with_gateway,
};

const GOOD_CARD: &str = "4242 4242 4242 4242";
const DECLINED_CARD: &str = "4000 0000 0000 0002";

/// Orders that took money and hold their seats.
async fn order_count(app: &crate::helpers::TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM orders WHERE status IN ('paid', 'fulfilled')")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn buying_held_seats_creates_an_order_and_sells_them() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    let wanted = [seats[0].0, seats[1].0];
    a.hold(showtime, &wanted).await;

    let (status, order) = a.buy(showtime, &wanted, GOOD_CARD, "order-key-0001").await;
    assert_eq!(status, 200, "{order}");
    let code = order["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 12);
    assert_eq!(order["card_last4"], "4242");
    assert_eq!(order["seats"].as_array().unwrap().len(), 2);
    let expected_total: i64 = order["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["price_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(order["total_cents"].as_i64().unwrap(), expected_total);

    // Sold everywhere: Postgres, Redis, and every viewer's map.
    assert_eq!(app.postgres_sold(showtime).await, wanted.to_vec());
    assert_eq!(app.redis_sold(showtime).await, wanted.to_vec());
    let (_, view) = app.session().seat_map(showtime).await;
    assert_eq!(view["sold"], serde_json::json!(wanted));
    let (_, own) = a.seat_map(showtime).await;
    assert_eq!(own["hold"], Value::Null);
    let (status, _) = app.session().hold(showtime, &[seats[0].0]).await;
    assert_eq!(status, 409);

    // Only the last four digits of the card are stored.
    let stored: String = sqlx::query_scalar("SELECT row_to_json(o)::text FROM orders o")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(!stored.contains("42424242"), "{stored}");

    // The code is the key to the order; a wrong code finds nothing.
    let (status, seen) = app.session().get(&format!("/api/order?code={code}")).await;
    assert_eq!(status, 200);
    assert_eq!(seen["code"], code.as_str());
    let (status, _) = app.session().get("/api/order?code=ZZZZZZZZZZZZ").await;
    assert_eq!(status, 404);
    let page = app.get(&format!("/orders/{code}")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Booking confirmed"));
}

#[tokio::test]
async fn a_declined_card_keeps_the_hold_for_a_retry() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    a.hold(showtime, &[seats[5].0]).await;

    let (status, error) = a
        .buy(showtime, &[seats[5].0], DECLINED_CARD, "decline-key-01")
        .await;
    assert_eq!(status, 402);
    assert_eq!(error["error"], "payment_declined");
    assert_eq!(order_count(&app).await, 0);
    let (_, own) = a.seat_map(showtime).await;
    assert_eq!(own["hold"]["seat_ids"], serde_json::json!([seats[5].0]));

    let (status, _) = a
        .buy(showtime, &[seats[5].0], GOOD_CARD, "decline-key-02")
        .await;
    assert_eq!(status, 200);
    assert_eq!(order_count(&app).await, 1);
}

#[tokio::test]
async fn retries_with_the_same_key_return_the_same_order() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    a.hold(showtime, &[seats[7].0]).await;

    let (_, first) = a
        .buy(showtime, &[seats[7].0], GOOD_CARD, "same-key-0001")
        .await;
    let (status, again) = a
        .buy(showtime, &[seats[7].0], GOOD_CARD, "same-key-0001")
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(first["code"], again["code"]);
    assert_eq!(order_count(&app).await, 1);

    // Concurrent double submits under one key: still one order.
    let b = app.session();
    b.hold(showtime, &[seats[8].0]).await;
    let seat = [seats[8].0];
    let (x, y) = tokio::join!(
        b.buy(showtime, &seat, GOOD_CARD, "double-click-01"),
        b.buy(showtime, &seat, GOOD_CARD, "double-click-01"),
    );
    assert_eq!((x.0, y.0), (200, 200), "{x:?} {y:?}");
    assert_eq!(x.1["code"], y.1["code"]);
    assert_eq!(order_count(&app).await, 2);
}

#[tokio::test]
async fn a_different_purchase_under_a_used_key_is_refused() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    a.hold(showtime, &[seats[9].0]).await;
    a.buy(showtime, &[seats[9].0], GOOD_CARD, "reused-key-001")
        .await;

    a.hold(showtime, &[seats[10].0]).await;
    let (status, error) = a
        .buy(showtime, &[seats[10].0], GOOD_CARD, "reused-key-001")
        .await;
    assert_eq!(status, 422);
    assert_eq!(error["error"], "idempotency_mismatch");
    // Someone else cannot fetch the order by replaying the key either.
    let (status, _) = app
        .session()
        .buy(showtime, &[seats[9].0], GOOD_CARD, "reused-key-001")
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn checkout_input_is_validated() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    a.hold(showtime, &[seats[0].0]).await;
    let (status, error) = a
        .buy(
            showtime,
            &[seats[0].0],
            "4242 4242 4242 4241",
            "bad-card-0001",
        )
        .await;
    assert_eq!((status, error["error"].as_str()), (400, Some("bad_input")));
    assert!(error["message"].as_str().unwrap().contains("card"));
    let (status, _) = a.buy(showtime, &[seats[0].0], GOOD_CARD, "short").await;
    assert_eq!(status, 400);
    // The seats to buy must be the seats held.
    a.hold(showtime, &[seats[1].0]).await;
    let (status, error) = a
        .buy(showtime, &[seats[0].0], GOOD_CARD, "subset-key-001")
        .await;
    assert_eq!((status, error["error"].as_str()), (400, Some("bad_input")));
    assert_eq!(order_count(&app).await, 0);
}

#[tokio::test]
async fn nobody_else_can_release_extend_or_buy_my_hold() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (a, b) = (app.session(), app.session());
    a.hold(showtime, &[seats[3].0]).await;

    assert_eq!(b.release(showtime, &[seats[3].0]).await.0, 403);
    let (status, error) = b.extend(showtime).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (409, Some("hold_expired"))
    );
    let (status, error) = b
        .buy(showtime, &[seats[3].0], GOOD_CARD, "thief-key-0001")
        .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (403, Some("not_your_hold"))
    );
    assert_eq!(order_count(&app).await, 0);

    let (_, order) = a
        .buy(showtime, &[seats[3].0], GOOD_CARD, "owner-key-0001")
        .await;
    // B has neither the code nor any other way to the order.
    let (status, _) = b.get("/api/order?code=").await;
    assert_eq!(status, 404);
    assert!(order["code"].is_string());
}

#[tokio::test]
async fn postgres_refuses_a_sale_that_slipped_past_redis() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    // Make Redis load the (empty) sold set, then sell seat 0 behind its back.
    a.seat_map(showtime).await;
    let order: i64 = sqlx::query_scalar(
        "INSERT INTO orders (code, showtime_id, session_id, buyer_name, buyer_email,
                             total_cents, card_last4, idempotency_key, request_hash,
                             payment_key, charge_id, status)
         VALUES ('FENCE0000001', $1, 'elsewhere', 'Box Office', 'box@example.com', 950, '0000',
                 'box-office-sale', 'x', 'order-FENCE0000001', 'cash-1', 'fulfilled')
         RETURNING id",
    )
    .bind(showtime)
    .fetch_one(&app.db)
    .await
    .unwrap();
    sqlx::query("INSERT INTO tickets (order_id, showtime_id, seat_id, price_cents) VALUES ($1, $2, $3, 950)")
        .bind(order)
        .bind(showtime)
        .bind(seats[0].0)
        .execute(&app.db)
        .await
        .unwrap();

    // Redis does not know, so the hold succeeds...
    assert_eq!(a.hold(showtime, &[seats[0].0, seats[1].0]).await.0, 200);
    // ...but the purchase hits the fence and names the seat.
    let (status, error) = a
        .buy(
            showtime,
            &[seats[0].0, seats[1].0],
            GOOD_CARD,
            "fence-key-0001",
        )
        .await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["error"], "seat_taken");
    assert_eq!(error["seats"], serde_json::json!([seats[0].1]));
    assert_eq!(order_count(&app).await, 1, "no second order");
    assert_eq!(app.postgres_sold(showtime).await, vec![seats[0].0]);
    // Redis was corrected: the seat now shows as sold to everyone.
    assert_eq!(app.redis_sold(showtime).await, vec![seats[0].0]);
    let (_, own) = a.seat_map(showtime).await;
    assert_eq!(own["sold"], serde_json::json!([seats[0].0]));
    assert_eq!(own["hold"]["seat_ids"], serde_json::json!([seats[1].0]));
}

#[tokio::test]
async fn sold_seats_survive_redis_losing_everything() {
    // This test empties its Redis database (FLUSHDB), so it gets one of its own.
    let app = spawn_app_with(&[("REDIS_URL", "redis://127.0.0.1:6379/3")]).await;
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    a.hold(showtime, &[seats[0].0, seats[1].0]).await;
    assert_eq!(
        a.buy(
            showtime,
            &[seats[0].0, seats[1].0],
            GOOD_CARD,
            "before-flush-01"
        )
        .await
        .0,
        200
    );

    let mut redis = app.redis.clone();
    let _: () = redis::cmd("FLUSHDB").query_async(&mut redis).await.unwrap();

    let b = app.session();
    let (status, error) = b.hold(showtime, &[seats[1].0, seats[2].0]).await;
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["seats"], serde_json::json!([seats[1].1]));
    let (_, view) = b.seat_map(showtime).await;
    assert_eq!(view["sold"], serde_json::json!([seats[0].0, seats[1].0]));
    assert_eq!(
        app.redis_sold(showtime).await,
        app.postgres_sold(showtime).await
    );
    // Unsold seats are fine to hold and buy.
    assert_eq!(b.hold(showtime, &[seats[2].0]).await.0, 200);
    assert_eq!(
        b.buy(showtime, &[seats[2].0], GOOD_CARD, "after-flush-001")
            .await
            .0,
        200
    );
}

/// A processor that takes the money at once and answers late, like a real one on a bad day.
struct SlowGateway {
    inner: TestGateway,
    charges: std::sync::atomic::AtomicUsize,
}

impl PaymentGateway for SlowGateway {
    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
    ) -> BoxFuture<'a, Result<Charge, PaymentError>> {
        Box::pin(async move {
            let charge = self.inner.charge(request).await?;
            self.charges
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            Ok(charge)
        })
    }

    fn void_or_find<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Settled, PaymentError>> {
        self.inner.void_or_find(key)
    }

    fn refund<'a>(&'a self, charge: &'a Charge) -> BoxFuture<'a, Result<(), PaymentError>> {
        self.inner.refund(charge)
    }
}

#[tokio::test]
async fn a_buyer_who_gives_up_mid_payment_still_gets_the_order_the_charge_paid_for() {
    let database_url = create_database().await;
    let db = PgPool::connect(&database_url).await.unwrap();
    marquee::server::db::migrate(&db).await.unwrap();
    marquee::server::catalog::demo::ensure(&db).await.unwrap();
    let redis = redis::Client::open(redis_url()).unwrap();
    let redis = redis::aio::ConnectionManager::new(redis).await.unwrap();
    let gateway = Arc::new(SlowGateway {
        inner: TestGateway::new(db.clone(), std::time::Duration::ZERO),
        charges: Default::default(),
    });
    let settings = settings(&database_url, &redis_url());
    let app = spawn_with_state(state_with_gateway(settings, db, redis, gateway.clone())).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seat = app.seats_of(showtime).await[0].0;
    let buyer = app.session();
    assert_eq!(buyer.hold(showtime, &[seat]).await.0, 200);

    // The buyer's connection gives up while the processor is still answering.
    let gave_up = buyer
        .client
        .post(app.url("/api/purchase"))
        .timeout(std::time::Duration::from_millis(500))
        .json(&serde_json::json!({ "request": {
            "showtime_id": showtime, "seat_ids": [seat], "name": "Ada Lovelace",
            "email": "ada@example.com", "card_number": GOOD_CARD,
            "idempotency_key": "gives-up-mid-payment",
        }}))
        .send()
        .await;
    assert!(gave_up.is_err(), "the request should have timed out");

    // The money was taken, so the order must exist, and the seat be sold everywhere.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.postgres_sold(showtime).await.is_empty() || app.redis_sold(showtime).await.is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "charged {} time(s), but no order",
            gateway.charges.load(std::sync::atomic::Ordering::SeqCst)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(gateway.charges.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(app.postgres_sold(showtime).await, [seat]);
    assert_eq!(app.redis_sold(showtime).await, [seat]);
    // Asking again under the same key returns that order, without a second charge.
    let (status, order) = buyer
        .buy(showtime, &[seat], GOOD_CARD, "gives-up-mid-payment")
        .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(gateway.charges.load(std::sync::atomic::Ordering::SeqCst), 1);
}
