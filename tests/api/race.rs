//! Many sessions race for the same seats through the real HTTP API; afterwards the
//! invariants are checked against every successful answer, Postgres and Redis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::Value;

use crate::helpers::spawn_app;

const TASKS: usize = 200;
const ROUNDS: usize = 3;

/// A successful, state-changing answer, stamped with the showtime version it produced.
#[derive(Debug, Clone)]
enum Event {
    /// After this, the session holds exactly `seats`.
    Held { session: usize, seats: Vec<i64> },
    /// After this, the session holds exactly `seats` (what it did not release).
    Released { session: usize, seats: Vec<i64> },
}

/// A successful purchase: the buying session, the order code and its seats.
type Purchase = (usize, String, Vec<i64>);

fn ids(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_seat_is_ever_held_by_two_sessions_or_sold_twice() {
    let app = Arc::new(spawn_app().await);
    let (showtime, _) = app.showtime_in("Studio 2").await;
    // A small block of seats so that nearly every request overlaps with others.
    let pool: Vec<i64> = app.seats_of(showtime).await[..24]
        .iter()
        .map(|s| s.0)
        .collect();
    let events: Arc<Mutex<Vec<(u64, Event)>>> = Arc::default();
    let orders: Arc<Mutex<Vec<Purchase>>> = Arc::default();

    let mut tasks = Vec::new();
    for session in 0..TASKS {
        let (app, pool, events, orders) =
            (app.clone(), pool.clone(), events.clone(), orders.clone());
        tasks.push(tokio::spawn(async move {
            let me = app.session();
            for round in 0..ROUNDS {
                let want: Vec<i64> = {
                    let mut rng = rand::rng();
                    let n = rng.random_range(1..=3);
                    pool.choose_multiple(&mut rng, n).copied().collect()
                };
                let (status, hold) = me.hold(showtime, &want).await;
                if status != 200 {
                    assert_eq!(status, 409, "{hold}");
                    continue;
                }
                let held = ids(&hold["seat_ids"]);
                let version = hold["version"].as_u64().unwrap();
                events.lock().unwrap().push((
                    version,
                    Event::Held {
                        session,
                        seats: held.clone(),
                    },
                ));
                let buy = rand::rng().random_bool(0.3);
                if buy {
                    let key = format!("race-{session}-{round}-key");
                    let (status, order) = me.buy(showtime, &held, "4242424242424242", &key).await;
                    assert_eq!(status, 200, "a held seat must be buyable: {order}");
                    orders.lock().unwrap().push((
                        session,
                        order["code"].as_str().unwrap().into(),
                        held,
                    ));
                } else {
                    let (status, rest) = me.release_all(showtime).await;
                    assert_eq!(status, 200, "{rest}");
                    let version = rest["version"].as_u64().unwrap();
                    let seats = ids(&rest["seat_ids"]);
                    events
                        .lock()
                        .unwrap()
                        .push((version, Event::Released { session, seats }));
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("a racing task panicked");
    }

    // Replay every successful answer in the order of the versions the changes produced (the
    // scripts bump the version atomically with the change): no seat may ever be held by two
    // sessions at once.
    let mut events = events.lock().unwrap().clone();
    events.sort_by_key(|(version, _)| *version);
    let versions: Vec<u64> = events.iter().map(|(v, _)| *v).collect();
    let mut unique = versions.clone();
    unique.dedup();
    assert_eq!(
        unique.len(),
        versions.len(),
        "every change has its own version"
    );
    let mut holder: HashMap<i64, usize> = HashMap::new();
    let mut sold_by: HashMap<i64, usize> = HashMap::new();
    for (session, _, seats) in orders.lock().unwrap().iter() {
        for seat in seats {
            assert!(
                sold_by.insert(*seat, *session).is_none(),
                "seat {seat} sold twice"
            );
        }
    }
    for (version, event) in &events {
        match event {
            Event::Held { session, seats } => {
                for seat in seats {
                    if let Some(other) = holder.get(seat) {
                        assert_eq!(
                            other, session,
                            "seat {seat} held by sessions {other} and {session} at version {version}"
                        );
                    }
                    holder.insert(*seat, *session);
                }
            }
            Event::Released { session, seats } => {
                // Sold seats stay with their buyer forever; released ones are free.
                holder.retain(|seat, s| {
                    s != session || seats.contains(seat) || sold_by.get(seat) == Some(session)
                });
            }
        }
    }

    // Every purchase has exactly its tickets, no seat has two, and Redis agrees.
    let mut all_sold: Vec<i64> = Vec::new();
    let purchases = orders.lock().unwrap().clone();
    for (_, code, seats) in &purchases {
        let mut tickets: Vec<i64> = sqlx::query_scalar(
            "SELECT t.seat_id FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.code = $1",
        )
        .bind(code)
        .fetch_all(&app.db)
        .await
        .unwrap();
        tickets.sort_unstable();
        let mut expected = seats.clone();
        expected.sort_unstable();
        assert_eq!(tickets, expected, "order {code}");
        all_sold.extend(expected);
    }
    all_sold.sort_unstable();
    let postgres = app.postgres_sold(showtime).await;
    assert_eq!(
        postgres, all_sold,
        "tickets are exactly the successful purchases"
    );
    let (distinct, total): (i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT seat_id), count(*) FROM tickets WHERE showtime_id = $1",
    )
    .bind(showtime)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(distinct, total);
    assert_eq!(
        app.redis_sold(showtime).await,
        postgres,
        "Redis and Postgres agree"
    );
    assert!(!purchases.is_empty(), "the race sold something");
}
