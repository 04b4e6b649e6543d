//! Money and seats after something died: pending payments settled, Redis repaired from
//! Postgres, versions that never go backwards. Crashes of the real process are in the
//! fault-injection suite (`tests/faults`); these tests reach the same states directly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use marquee::server::booking::payment::{
    BoxFuture, Charge, ChargeRequest, PaymentError, PaymentGateway, Settled, TestGateway,
};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{
    TestApp, create_database, redis_url, settings_with, spawn_app_with, spawn_with_state,
    state_with_gateway,
};
use crate::live::{SOON, next, watch};

const GOOD_CARD: &str = "4242 4242 4242 4242";
const DECLINED_CARD: &str = "4000 0000 0000 0002";

/// A reconciler that runs often and treats a payment as stale after a second.
const FAST_RECONCILER: &[(&str, &str)] = &[
    ("RECONCILE_INTERVAL_MS", "100"),
    ("PAYMENT_TIMEOUT_MS", "300"),
    ("PAYMENT_STALE_SECS", "1"),
];

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn order_status(db: &PgPool, code: &str) -> String {
    sqlx::query_scalar("SELECT status FROM orders WHERE code = $1")
        .bind(code)
        .fetch_one(db)
        .await
        .unwrap()
}

/// The gateway's ledger row of a payment key: (status, charge id).
async fn ledger(db: &PgPool, key: &str) -> Option<(String, Option<String>)> {
    sqlx::query_as("SELECT status, charge_id FROM test_gateway_charges WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(db)
        .await
        .unwrap()
}

/// A pending order with tickets, as a purchase leaves it just before (or after) charging.
async fn pending_order(app: &TestApp, showtime: i64, seat: i64, code: &str, session: &str) {
    let order: i64 = sqlx::query_scalar(
        "INSERT INTO orders (code, showtime_id, session_id, buyer_name, buyer_email,
                             total_cents, card_last4, idempotency_key, request_hash,
                             payment_key, status, updated_at)
         VALUES ($1, $2, $3, 'Ada', 'ada@example.com', 1000, '4242', $1, 'h', 'order-' || $1,
                 'pending', now() - interval '1 minute')
         RETURNING id",
    )
    .bind(code)
    .bind(showtime)
    .bind(session)
    .fetch_one(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO tickets (order_id, showtime_id, seat_id, price_cents) VALUES ($1, $2, $3, 1000)",
    )
    .bind(order)
    .bind(showtime)
    .bind(seat)
    .execute(&app.db)
    .await
    .unwrap();
}

/// How many charges the test gateway captured.
async fn captured_charges(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM test_gateway_charges WHERE status = 'captured'")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// An order for `seat` as [`pending_order`] makes it, then moved on to `status` with
/// `charge` (a payment that went through while Redis was not told).
async fn order_in(
    app: &TestApp,
    showtime: i64,
    seat: i64,
    code: &str,
    session: &str,
    status: &str,
    charge: &str,
) {
    pending_order(app, showtime, seat, code, session).await;
    sqlx::query("UPDATE orders SET status = $1, charge_id = $2 WHERE code = $3")
        .bind(status)
        .bind(charge)
        .bind(code)
        .execute(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_reconciler_settles_payments_whose_purchase_died() {
    let app = spawn_app_with(FAST_RECONCILER).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let buyer = app.session();
    assert_eq!(buyer.hold(showtime, &[seats[0].0]).await.0, 200);
    // Died after the charge: the gateway captured under the order's key. The capture is made
    // before the order row appears: the other way round, a reconciler pass in between finds a
    // stale order with nothing captured and rightly cancels the payment first.
    let gateway = TestGateway::new(app.db.clone(), Duration::ZERO);
    let card = marquee::app::booking::CardNumber::parse(GOOD_CARD).unwrap();
    gateway
        .charge(ChargeRequest {
            amount_cents: 1000,
            card: &card,
            idempotency_key: "order-CHARGED00001",
            description: "test".into(),
        })
        .await
        .unwrap();
    pending_order(&app, showtime, seats[0].0, "CHARGED00001", &buyer.id()).await;
    // Died before the charge: nothing at the gateway.
    pending_order(&app, showtime, seats[1].0, "UNCHARGED001", "someone-else").await;

    eventually("both payments settled", || async {
        order_status(&app.db, "CHARGED00001").await == "fulfilled"
            && order_status(&app.db, "UNCHARGED001").await == "failed"
    })
    .await;
    // The charged one is a sale everywhere; the buyer's hold on it is gone.
    assert_eq!(app.redis_sold(showtime).await, [seats[0].0]);
    assert_eq!(app.postgres_sold(showtime).await, [seats[0].0]);
    let (_, map) = buyer.seat_map(showtime).await;
    assert_eq!(map["hold"], Value::Null, "{map}");
    // The other was voided at the gateway, so no late request can charge it, and its seat
    // is free again.
    assert_eq!(
        ledger(&app.db, "order-UNCHARGED001").await,
        Some(("voided".into(), None))
    );
    let late = gateway
        .charge(ChargeRequest {
            amount_cents: 1000,
            card: &card,
            idempotency_key: "order-UNCHARGED001",
            description: "late".into(),
        })
        .await;
    assert!(matches!(late, Err(PaymentError::Declined(_))), "{late:?}");
    let other = app.session();
    assert_eq!(other.hold(showtime, &[seats[1].0]).await.0, 200);
    let (status, order) = other
        .buy(showtime, &[seats[1].0], GOOD_CARD, "after-void-0001")
        .await;
    assert_eq!(status, 200, "{order}");
}

#[tokio::test]
async fn a_replay_sells_the_seats_again_when_redis_lost_the_sale() {
    let app = spawn_app_with(&[]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seat = app.seats_of(showtime).await[2].0;
    let buyer = app.session();
    buyer.hold(showtime, &[seat]).await;
    let (status, first) = buyer
        .buy(showtime, &[seat], GOOD_CARD, "replay-key-001")
        .await;
    assert_eq!(status, 200, "{first}");
    // The process died after the order was paid and before Redis heard of it.
    sqlx::query("UPDATE orders SET status = 'paid'")
        .execute(&app.db)
        .await
        .unwrap();
    let _: () = redis::cmd("SREM")
        .arg(app.keys(showtime).sold())
        .arg(seat)
        .query_async(&mut app.redis.clone())
        .await
        .unwrap();
    assert!(app.redis_sold(showtime).await.is_empty());

    let (status, again) = buyer
        .buy(showtime, &[seat], GOOD_CARD, "replay-key-001")
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["code"], first["code"]);
    assert_eq!(app.redis_sold(showtime).await, [seat]);
    let code = first["code"].as_str().unwrap();
    assert_eq!(order_status(&app.db, code).await, "fulfilled");
}

#[tokio::test]
async fn the_gateway_sees_a_server_key_per_attempt_never_the_clients() {
    let app = spawn_app_with(&[]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seat = app.seats_of(showtime).await[3].0;
    let buyer = app.session();
    buyer.hold(showtime, &[seat]).await;
    let (status, _) = buyer
        .buy(showtime, &[seat], DECLINED_CARD, "one-client-key")
        .await;
    assert_eq!(status, 402);
    // The same client key again, now with a good card: a new attempt, a new payment key.
    let (status, order) = buyer
        .buy(showtime, &[seat], GOOD_CARD, "one-client-key")
        .await;
    assert_eq!(status, 200, "{order}");
    let keys: Vec<(String, String)> =
        sqlx::query_as("SELECT payment_key, status FROM orders ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_ne!(keys[0].0, keys[1].0);
    assert_eq!(
        (keys[0].1.as_str(), keys[1].1.as_str()),
        ("failed", "fulfilled")
    );
    let code = order["code"].as_str().unwrap();
    assert_eq!(keys[1].0, format!("order-{code}"));
    let (status, charge) = ledger(&app.db, &keys[1].0).await.unwrap();
    assert_eq!(status, "captured");
    let stored: Option<String> = sqlx::query_scalar("SELECT charge_id FROM orders WHERE code = $1")
        .bind(code)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, charge, "the gateway's reference is stored");
    assert!(ledger(&app.db, "one-client-key").await.is_none());
}

/// A processor that can hang (never answering, with or without capturing first) or be
/// down altogether, on command.
struct FlakyGateway {
    inner: TestGateway,
    /// Capture, then never answer.
    hang_after_capture: AtomicBool,
    /// Never answer, capture nothing.
    hang: AtomicBool,
    /// Every call fails.
    down: AtomicBool,
    /// Go down right after the next capture (so nobody can ask about it).
    down_after_capture: AtomicBool,
}

impl FlakyGateway {
    fn new(db: PgPool) -> Self {
        Self {
            inner: TestGateway::new(db, Duration::ZERO),
            hang_after_capture: AtomicBool::new(false),
            hang: AtomicBool::new(false),
            down: AtomicBool::new(false),
            down_after_capture: AtomicBool::new(false),
        }
    }

    fn check(&self) -> Result<(), PaymentError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(PaymentError::Unavailable("down".into()));
        }
        Ok(())
    }
}

impl PaymentGateway for FlakyGateway {
    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
    ) -> BoxFuture<'a, Result<Charge, PaymentError>> {
        Box::pin(async move {
            if self.hang.load(Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            self.check()?;
            let charge = self.inner.charge(request).await?;
            if self.down_after_capture.load(Ordering::SeqCst) {
                self.down.store(true, Ordering::SeqCst);
            }
            if self.hang_after_capture.load(Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            Ok(charge)
        })
    }

    fn void_or_find<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Settled, PaymentError>> {
        Box::pin(async move {
            self.check()?;
            self.inner.void_or_find(key).await
        })
    }

    fn refund<'a>(&'a self, charge: &'a Charge) -> BoxFuture<'a, Result<(), PaymentError>> {
        Box::pin(async move {
            self.check()?;
            self.inner.refund(charge).await
        })
    }
}

async fn spawn_with_flaky_gateway() -> (TestApp, Arc<FlakyGateway>) {
    let database_url = create_database().await;
    let db = PgPool::connect(&database_url).await.unwrap();
    marquee::server::db::migrate(&db).await.unwrap();
    marquee::server::catalog::demo::ensure(&db).await.unwrap();
    let redis = redis::Client::open(redis_url()).unwrap();
    let redis = redis::aio::ConnectionManager::new(redis).await.unwrap();
    let gateway = Arc::new(FlakyGateway::new(db.clone()));
    // A payment timeout long enough that a capture always lands before it, even on a busy
    // machine: these tests are about what happens after.
    let settings = settings_with(
        &database_url,
        &redis_url(),
        &[
            ("RECONCILE_INTERVAL_MS", "100"),
            ("PAYMENT_TIMEOUT_MS", "1500"),
            ("PAYMENT_STALE_SECS", "5"),
        ],
    );
    let app = spawn_with_state(state_with_gateway(settings, db, redis, gateway.clone())).await;
    (app, gateway)
}

#[tokio::test]
async fn a_processor_that_never_answers_costs_nothing_and_no_seat() {
    let (app, gateway) = spawn_with_flaky_gateway().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seat = app.seats_of(showtime).await[4].0;
    let buyer = app.session();
    buyer.hold(showtime, &[seat]).await;

    // No answer and no capture: voided within the timeout, the buyer told nothing was taken.
    gateway.hang.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let (status, error) = buyer
        .buy(showtime, &[seat], GOOD_CARD, "hang-key-0001")
        .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (402, Some("payment_declined"))
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let key: String = sqlx::query_scalar("SELECT payment_key FROM orders")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(ledger(&app.db, &key).await, Some(("voided".into(), None)));
    // The hold is still the buyer's.
    let (_, map) = buyer.seat_map(showtime).await;
    assert_eq!(map["hold"]["seat_ids"], serde_json::json!([seat]), "{map}");

    // Captured, then no answer: the capture is found and the order made.
    gateway.hang.store(false, Ordering::SeqCst);
    gateway.hang_after_capture.store(true, Ordering::SeqCst);
    let (status, order) = buyer
        .buy(showtime, &[seat], GOOD_CARD, "hang-key-0002")
        .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(app.redis_sold(showtime).await, [seat]);
}

#[tokio::test]
async fn an_unknown_outcome_stays_pending_until_the_processor_is_back() {
    let (app, gateway) = spawn_with_flaky_gateway().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seat = app.seats_of(showtime).await[5].0;
    let buyer = app.session();
    buyer.hold(showtime, &[seat]).await;

    // Captured, the answer lost, and the processor unreachable to ask.
    gateway.hang_after_capture.store(true, Ordering::SeqCst);
    gateway.down_after_capture.store(true, Ordering::SeqCst);
    let (status, error) = buyer
        .buy(showtime, &[seat], GOOD_CARD, "unknown-key-01")
        .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (503, Some("payment_pending")),
        "{error}"
    );
    assert!(error["retry_after_ms"].as_u64().unwrap() > 0);
    let status: String = sqlx::query_scalar("SELECT status FROM orders")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "pending");
    // Nobody else can buy the seat meanwhile: it is in a payment.
    let other = app.session();
    assert_eq!(app.postgres_sold(showtime).await, Vec::<i64>::new());

    // The processor is back: the reconciler finds the capture and makes the order.
    gateway.hang_after_capture.store(false, Ordering::SeqCst);
    gateway.down_after_capture.store(false, Ordering::SeqCst);
    gateway.down.store(false, Ordering::SeqCst);
    eventually("the charged order is fulfilled", || async {
        sqlx::query_scalar::<_, String>("SELECT status FROM orders")
            .fetch_one(&app.db)
            .await
            .unwrap()
            == "fulfilled"
    })
    .await;
    assert_eq!(app.redis_sold(showtime).await, [seat]);
    // The buyer's retry under the same key gets that order, charged once.
    let (status, order) = buyer
        .buy(showtime, &[seat], GOOD_CARD, "unknown-key-01")
        .await;
    assert_eq!(status, 200, "{order}");
    let captures = captured_charges(&app).await;
    assert_eq!(captures, 1);
    assert_eq!(other.hold(showtime, &[seat]).await.0, 409);
}

#[tokio::test]
async fn a_sold_seat_leaves_every_hold_on_it() {
    let app = spawn_app_with(FAST_RECONCILER).await;
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let seats = app.seats_of(showtime).await;
    let a = app.session();
    assert_eq!(a.hold(showtime, &[seats[0].0, seats[1].0]).await.0, 200);
    // Seat 0 is sold behind Redis' back (a sale Redis lost, then the hold was made).
    let seat = seats[0].0;
    order_in(
        &app,
        showtime,
        seat,
        "BEHIND000001",
        "elsewhere",
        "fulfilled",
        "cash-1",
    )
    .await;

    eventually("the reconciler sells the seat in Redis", || async {
        app.redis_sold(showtime).await == [seats[0].0]
    })
    .await;
    // The lingering hold lost the seat, and what remains of it works: extend, then buy.
    let (_, map) = a.seat_map(showtime).await;
    assert_eq!(
        map["hold"]["seat_ids"],
        serde_json::json!([seats[1].0]),
        "{map}"
    );
    let (status, extended) = a.extend(showtime).await;
    assert_eq!(status, 200, "{extended}");
    let (status, order) = a
        .buy(showtime, &[seats[1].0], GOOD_CARD, "remaining-0001")
        .await;
    assert_eq!(status, 200, "{order}");
}

#[tokio::test]
async fn versions_never_go_backwards_after_a_flush() {
    // This test empties its Redis database, so it gets one of its own.
    let app = spawn_app_with(&[("REDIS_URL", "redis://127.0.0.1:6379/4")]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (a, b) = (app.session(), app.session());
    for seat in &seats[..5] {
        a.hold(showtime, &[seat.0]).await;
    }
    let mut feed = watch(&app, &b, showtime).await;
    let snapshot = next(&mut feed, SOON).await;
    let before = snapshot["state"]["version"].as_u64().unwrap();

    let _: () = redis::cmd("FLUSHDB")
        .query_async(&mut app.redis.clone())
        .await
        .unwrap();
    // The next change after the flush: the version moved on, and the open map starts over
    // from a fresh snapshot instead of freezing.
    assert_eq!(a.hold(showtime, &[seats[9].0]).await.0, 200);
    let resync = next(&mut feed, Duration::from_secs(3)).await;
    assert_eq!(resync["type"], "snapshot", "{resync}");
    let after = resync["state"]["version"].as_u64().unwrap();
    assert!(after > before, "{after} after {before}");
    let (_, map) = b.seat_map(showtime).await;
    assert!(map["version"].as_u64().unwrap() > before, "{map}");
}

#[tokio::test]
async fn the_keys_of_a_finished_showtime_expire() {
    let app = spawn_app_with(FAST_RECONCILER).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let ended = app.started_copy_of(showtime).await;
    // It ended ten minutes ago.
    sqlx::query(
        "UPDATE showtimes s SET starts_at = now() - make_interval(mins => m.runtime_minutes + 10)
           FROM movies m WHERE m.id = s.movie_id AND s.id = $1",
    )
    .bind(ended)
    .execute(&app.db)
    .await
    .unwrap();
    // Its seat map is looked at (the sold-seat cache and version are made)...
    assert_eq!(app.session().seat_map(ended).await.0, 200);
    let sold_loaded = app.keys(ended).sold_loaded();
    let ttl = || async {
        redis::cmd("PTTL")
            .arg(&sold_loaded)
            .query_async::<i64>(&mut app.redis.clone())
            .await
            .unwrap()
    };
    assert_eq!(ttl().await, -1, "no TTL before the reconciler");
    // ...and the reconciler gives them an end: an hour after the showtime's.
    eventually("the keys get a TTL", || async { ttl().await > 0 }).await;
    let left = ttl().await;
    assert!(left > 45 * 60 * 1000 && left <= 50 * 60 * 1000, "{left} ms");
}

#[tokio::test]
async fn a_purchase_lock_is_released_only_by_its_owner() {
    use marquee::app::booking::IdempotencyKey;
    use marquee::server::booking::idempotency::{Idempotency, PurchaseClaim};
    use marquee::server::booking::keys::Keyspace;

    let app = spawn_app_with(&[]).await;
    let keyspace = Keyspace::new(&app.prefix);
    let locks = Idempotency::new(app.redis.clone(), keyspace.clone(), Duration::from_secs(1));
    let claim = PurchaseClaim {
        session: "s".into(),
        key: IdempotencyKey::parse("lock-key-0001").unwrap(),
        fingerprint: "f".into(),
    };
    let first = locks.lock(&claim).await.unwrap().expect("the lock is free");
    assert!(
        locks.lock(&claim).await.unwrap().is_none(),
        "one attempt at a time"
    );
    // The first attempt outlived its lock (frozen, say), and a second attempt took it.
    let _: () = redis::cmd("DEL")
        .arg(keyspace.idempotency("lock-key-0001"))
        .query_async(&mut app.redis.clone())
        .await
        .unwrap();
    let second = locks.lock(&claim).await.unwrap().expect("free again");
    // The first one finishing must not free the second one's lock.
    first.release().await;
    assert!(
        locks.lock(&claim).await.unwrap().is_none(),
        "the second attempt still holds it"
    );
    second.release().await;
    assert!(locks.lock(&claim).await.unwrap().is_some());
}

#[tokio::test]
async fn an_offer_sold_to_the_buyer_it_was_fenced_for_puts_its_holder_back_in_line() {
    let app = spawn_app_with(FAST_RECONCILER).await;
    let (showtime, seats, owner) = crate::line::full_house(&app).await;
    let (b, c) = (app.session(), app.session());
    assert_eq!(b.join(showtime, 2).await.0, 200);
    assert_eq!(c.join(showtime, 1).await.0, 200);
    // The owner was paying for a seat when its hold ran out: Redis saw it free and offered
    // it to the line, while Postgres had it in the owner's pending order.
    assert_eq!(owner.release(showtime, &seats[..2]).await.0, 200);
    let offered = crate::line::wait_for_offer(&b, showtime).await;
    assert_eq!(offered.len(), 2);
    let owner_id = owner.id();
    order_in(
        &app,
        showtime,
        offered[0],
        "LATEPAID0001",
        &owner_id,
        "paid",
        "ch-late",
    )
    .await;

    // The payment went through, so the seat is the owner's: B's offer is taken back, B is
    // back at the head of the line (not lost, not at the back), and the offer's other seat
    // goes to the line, which for a single seat means C.
    eventually("the late sale settled", || async {
        order_status(&app.db, "LATEPAID0001").await == "fulfilled"
    })
    .await;
    assert_eq!(app.redis_sold(showtime).await, [offered[0]]);
    assert!(b.offered(showtime).await.is_empty());
    assert_eq!(b.place(showtime).await["position"], 1);
    assert_eq!(
        crate::line::wait_for_offer(&c, showtime).await,
        [offered[1]]
    );
    assert_eq!(
        b.place(showtime).await["position"],
        1,
        "{}",
        b.place(showtime).await
    );
    // B still waits for two seats side by side: the next release of two goes to B.
    assert_eq!(owner.release(showtime, &seats[2..4]).await.0, 200);
    assert_eq!(crate::line::wait_for_offer(&b, showtime).await.len(), 2);
}

/// Settings where a payment is stale after a second and the reconciler stays out of the way.
const NO_RECONCILER: &[(&str, &str)] = &[
    ("RECONCILE_INTERVAL_MS", "3600000"),
    ("PAYMENT_TIMEOUT_MS", "300"),
    ("PAYMENT_STALE_SECS", "1"),
];

#[tokio::test]
async fn a_retry_takes_over_from_an_attempt_that_died_instead_of_waiting_for_its_lock() {
    use marquee::app::booking::{BuyerName, CardNumber, Email};
    use marquee::server::booking::idempotency::fingerprint;
    use marquee::server::booking::keys::Keyspace;

    let app = spawn_app_with(NO_RECONCILER).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let keyspace = Keyspace::new(&app.prefix);
    let dead_lock = |key: &str| {
        let lock = keyspace.idempotency(key);
        let mut redis = app.redis.clone();
        async move {
            // The dead attempt's lock, with most of its life left.
            let _: () = redis::cmd("SET")
                .arg(lock)
                .arg("token-of-a-dead-attempt")
                .arg("PX")
                .arg(30_000)
                .query_async(&mut redis)
                .await
                .unwrap();
        }
    };

    // 1. It died after the charge: its order is pending, the money captured.
    let buyer = app.session();
    let seat = seats[0].0;
    assert_eq!(buyer.hold(showtime, &[seat]).await.0, 200);
    let card = CardNumber::parse(GOOD_CARD).unwrap();
    let hash = fingerprint(
        showtime,
        &[seat],
        &BuyerName::parse("Ada Lovelace").unwrap(),
        &Email::parse("ada@example.com").unwrap(),
        &card,
    );
    pending_order(&app, showtime, seat, "CRASHED00001", &buyer.id()).await;
    sqlx::query(
        "UPDATE orders SET idempotency_key = 'died-after-charge', request_hash = $1
          WHERE code = 'CRASHED00001'",
    )
    .bind(&hash)
    .execute(&app.db)
    .await
    .unwrap();
    TestGateway::new(app.db.clone(), Duration::ZERO)
        .charge(ChargeRequest {
            amount_cents: 1000,
            card: &card,
            idempotency_key: "order-CRASHED00001",
            description: "test".into(),
        })
        .await
        .unwrap();
    dead_lock("died-after-charge").await;
    let (status, order) = buyer
        .buy(showtime, &[seat], GOOD_CARD, "died-after-charge")
        .await;
    assert_eq!(status, 200, "the retry settles the dead attempt: {order}");
    assert_eq!(order["code"], "CRASHED00001");
    assert_eq!(order_status(&app.db, "CRASHED00001").await, "fulfilled");

    // 2. It died before writing an order: the retry buys, once.
    let other = app.session();
    let seat = seats[1].0;
    assert_eq!(other.hold(showtime, &[seat]).await.0, 200);
    dead_lock("died-before-order").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, order) = other
        .buy(showtime, &[seat], GOOD_CARD, "died-before-order")
        .await;
    assert_eq!(status, 200, "{order}");
    let captures = captured_charges(&app).await;
    assert_eq!(captures, 2);
    assert_eq!(app.redis_sold(showtime).await.len(), 2);
}
