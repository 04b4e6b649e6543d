//! The load, the same for every target: closed loop, open loop and the flash sale, as in
//! `load.rs`, over HTTP to a base URL that is either one design's minimal router or the full
//! app's `/api`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{Value, json};

use crate::support::measure::pick_free;

/// Where the load goes, and how its "sold" step is asked for.
pub struct Target {
    pub name: &'static str,
    /// `http://…` of a design's router, or `http://…/api` of the full app.
    pub base: String,
    /// The full app: the sold step is a real `/api/purchase`.
    pub full_app: bool,
}

/// One visitor: its own `x-session` (what the designs read), its own cookie jar (what the
/// full app reads), one kept connection.
pub fn visitor() -> reqwest::Client {
    let session = format!("{:032x}", rand::rng().random::<u128>());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-session", session.parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(1)
        .default_headers(headers)
        .build()
        .unwrap()
}

pub use crate::support::measure::post_json as post;

/// One hold + release of one seat; whether the hold was a 200.
async fn pair(client: &reqwest::Client, base: &str, showtime: i64, seat: i64) -> bool {
    let body = json!({"showtime_id": showtime, "seat_ids": [seat]});
    let (status, _) = post(client, format!("{base}/hold_seats"), body.clone()).await;
    if status == 200 {
        post(client, format!("{base}/release_seats"), body).await;
    }
    status == 200
}

/// Closed loop: hold + release pairs per second at `level` workers, each its own visitor and
/// seat; and the answers that were not 200.
pub async fn closed(
    t: &Target,
    showtime: i64,
    seats: &[i64],
    level: usize,
    phase: Duration,
) -> (f64, usize) {
    let (done, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let deadline = Instant::now() + phase;
    let mut tasks = Vec::new();
    for worker in 0..level {
        let (base, seat) = (t.base.clone(), seats[worker % seats.len()]);
        let (done, failed) = (done.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let client = visitor();
            while Instant::now() < deadline {
                let counter = if pair(&client, &base, showtime, seat).await {
                    &done
                } else {
                    &failed
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let done = done.load(Ordering::Relaxed) as f64 / phase.as_secs_f64();
    (done, failed.load(Ordering::Relaxed))
}

/// Open loop: holds sent on a fixed schedule at `rate` for `phase`, each taking an idle one of
/// `level` visitors (or waiting for one); latency runs from the scheduled send time, so
/// queueing counts (coordinated omission). Sorted latencies, and the answers that were not 200.
pub async fn open(
    t: &Target,
    showtime: i64,
    seats: &[i64],
    level: usize,
    rate: f64,
    phase: Duration,
) -> (Vec<Duration>, usize) {
    let (give, take) = tokio::sync::mpsc::channel(level.max(1));
    for worker in 0..level {
        give.send((visitor(), seats[worker % seats.len()]))
            .await
            .unwrap();
    }
    let take = Arc::new(tokio::sync::Mutex::new(take));
    let failed = Arc::new(AtomicUsize::new(0));
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let count = (rate * phase.as_secs_f64()) as usize;
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        let (base, give, take, failed) =
            (t.base.clone(), give.clone(), take.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let (client, seat) = take.lock().await.recv().await.unwrap();
            let body = json!({"showtime_id": showtime, "seat_ids": [seat]});
            let (status, _) = post(&client, format!("{base}/hold_seats"), body.clone()).await;
            let latency = scheduled.elapsed();
            if status == 200 {
                post(&client, format!("{base}/release_seats"), body).await;
            } else {
                failed.fetch_add(1, Ordering::Relaxed);
            }
            give.send((client, seat)).await.unwrap();
            latency
        }));
    }
    let mut all = Vec::with_capacity(count);
    for task in tasks {
        all.push(task.await.unwrap());
    }
    all.sort();
    (all, failed.load(Ordering::Relaxed))
}

/// What a flash sale came to (or one buyer's part of it).
#[derive(Default)]
pub struct Sale {
    pub elapsed: Duration,
    /// Every hold request's latency (sorted), whatever it answered.
    pub holds: Vec<Duration>,
    /// Every seat map read's latency (sorted).
    pub maps: Vec<Duration>,
    pub conflicts: usize,
    /// Answers neither 200 nor 409 (503 from a lock wait, errors), holds and confirmations.
    pub other: usize,
    /// Seats confirmed to buyers, summed over buyers (a double sale would count twice).
    pub bought: usize,
    pub buyers_served: usize,
}

/// Tries per buyer: ample, so that a sale ends because the seats ran out, not the patience.
const ATTEMPTS: usize = 100;

/// `buyers` buyers at once, one showtime: each reads the seat map, holds 1–4 random free
/// seats, and confirms them (a design's `/confirm`, or the full app's real purchase).
pub async fn flash_sale(
    t: &Target,
    showtime: i64,
    all_seats: &Arc<Vec<i64>>,
    buyers: usize,
) -> Sale {
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(buyers);
    for buyer in 0..buyers {
        let (base, all_seats, full_app) = (t.base.clone(), all_seats.clone(), t.full_app);
        tasks.push(tokio::spawn(async move {
            buy(&base, full_app, showtime, &all_seats, buyer).await
        }));
    }
    let mut sale = Sale::default();
    for task in tasks {
        let mine = task.await.unwrap();
        sale.bought += mine.bought;
        sale.buyers_served += usize::from(mine.bought > 0);
        sale.holds.extend(mine.holds);
        sale.maps.extend(mine.maps);
        sale.conflicts += mine.conflicts;
        sale.other += mine.other;
    }
    sale.elapsed = start.elapsed();
    sale.holds.sort();
    sale.maps.sort();
    sale
}

/// One buyer: look, hold, confirm; again after a refusal, until the map shows nothing free.
async fn buy(base: &str, full_app: bool, showtime: i64, all_seats: &[i64], buyer: usize) -> Sale {
    let client = visitor();
    let mut mine = Sale::default();
    for attempt in 0..ATTEMPTS {
        let sent = Instant::now();
        let url = format!("{base}/seat_map?showtime_id={showtime}");
        let Ok(response) = client.get(url).send().await else {
            mine.other += 1;
            continue;
        };
        let map: Value = response.json().await.unwrap_or(Value::Null);
        mine.maps.push(sent.elapsed());
        let Some(want) = pick_free(&map, all_seats) else {
            return mine;
        };
        let body = json!({"showtime_id": showtime, "seat_ids": want});
        let sent = Instant::now();
        let (status, _) = post(&client, format!("{base}/hold_seats"), body.clone()).await;
        mine.holds.push(sent.elapsed());
        match status {
            200 => {}
            409 => {
                mine.conflicts += 1;
                continue;
            }
            _ => {
                mine.other += 1;
                continue;
            }
        }
        // Confirm until it goes through: a held seat must be sellable. A 503 (a lock wait
        // that ran out, a payment pending) or a 500 is only a "not yet": the purchase is
        // retried with the same idempotency key, as docs/api.md tells clients to.
        for _ in 0..ATTEMPTS {
            let (status, answer) = if full_app {
                let request = json!({"request": {
                    "showtime_id": showtime, "seat_ids": want,
                    "name": format!("Buyer {buyer}"),
                    "email": format!("buyer{buyer}@example.com"),
                    "card_number": "4242424242424242",
                    "idempotency_key": format!("designs-{buyer}-{attempt}-key"),
                }});
                post(&client, format!("{base}/purchase"), request).await
            } else {
                post(&client, format!("{base}/confirm"), body.clone()).await
            };
            match status {
                200 => {
                    mine.bought = want.len();
                    return mine;
                }
                500 | 503 | 0 => {
                    mine.other += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                _ => panic!("a held seat must be sellable: {status} {answer}"),
            }
        }
        panic!("{ATTEMPTS} confirmations of a held seat went unanswered");
    }
    mine
}
