//! Load benchmark: holds through the real HTTP API against the hold script called straight
//! on Redis (the ceiling), and a flash sale. Run with `make bench`.
//!
//! Everything runs in one process on one machine (the app, its clients, Postgres and Redis
//! share the cores), so absolute numbers say little; the ratios against the in-process
//! ceiling measured in the same run are the figures to compare.
//!
//! - Ceiling: `HoldEngine::hold` + `release` (the Lua scripts, no HTTP, no validation) in a
//!   closed loop at rising concurrency.
//! - HTTP: `POST /api/hold_seats` + `POST /api/release_seats` from independent sessions, open
//!   loop: requests are sent on a fixed schedule whatever the server does, and latency is
//!   measured from the *scheduled* send time, so a stalled server shows up in p99 instead of
//!   silently slowing the load (coordinated omission).
//! - Flash sale: 2,000 buyers race for every seat of the Grand Hall (352) through hold and
//!   purchase; reports time to sell out and checks that nothing was sold twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod support;

use marquee::server::{AppState, Application};
use serde_json::{Value, json};
use support::measure::{http_client, ms, percentile, pick_free, post_json};

const LEVELS: [usize; 4] = [1, 8, 32, 128];
const PHASE: Duration = Duration::from_secs(5);
const BUYERS: usize = 2_000;

async fn post(client: &reqwest::Client, base: &str, endpoint: &str, body: Value) -> (u16, Value) {
    post_json(client, format!("{base}/api/{endpoint}"), body).await
}

#[tokio::main]
async fn main() {
    let database = support::BenchDatabase::create("load").await;
    let settings = database.settings(&[("DATABASE_MAX_CONNECTIONS", "20")]);
    let app = Application::build(settings).await.expect("app builds");
    let base = format!("http://{}", app.address());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    let showtime =
        |auditorium, nth| support::BenchDatabase::showtime_in(&state.db, auditorium, nth);
    let hall = showtime("Grand Hall", 0).await;
    let info = state.showtimes.get(&state.db, hall).await.unwrap();
    let seats: Arc<Vec<i64>> = Arc::new(info.seat_ids.clone());

    println!(
        "Marquee load benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!("hold + release of one seat per operation; each worker its own session and seat");
    println!(
        "{:>5} | {:>13} | {:>10} | {:>6} | {:>17} | {:>17}",
        "conc.", "ceiling ops/s", "HTTP ops/s", "ratio", "50% load p50/p99", "80% load p50/p99"
    );
    for &level in &LEVELS {
        let ceiling = ceiling(&state, &info, level).await;
        let (closed, _) = http_closed(&base, hall, &seats, level).await;
        // Open loop at 50% and 80% of what the closed loop sustained.
        let half = http_open(&base, hall, &seats, level, (closed * 0.5).max(1.0)).await;
        let high = http_open(&base, hall, &seats, level, (closed * 0.8).max(1.0)).await;
        let pair = |l: &[Duration]| {
            format!(
                "{:.1}/{:.1} ms",
                ms(percentile(l, 0.50)),
                ms(percentile(l, 0.99))
            )
        };
        println!(
            "{:>5} | {:>13.0} | {:>10.0} | {:>5.1}% | {:>17} | {:>17}",
            level,
            ceiling,
            closed,
            100.0 * closed / ceiling,
            pair(&half),
            pair(&high),
        );
    }
    println!();
    println!(
        "ops = hold + release pairs. ceiling = the Lua scripts called in process, closed loop;"
    );
    println!(
        "HTTP ops/s = closed loop over HTTP; latencies = hold requests in an open loop at 50%"
    );
    println!("and 80% of that rate, measured from the scheduled send time (queueing counted).");

    flash_sale(&base, &state, showtime("Grand Hall", 1).await).await;

    drop(state);
    database.drop().await;
}

/// hold + release pairs per second, calling the engine (Lua scripts) directly.
async fn ceiling(
    state: &AppState,
    info: &Arc<marquee::server::booking::showtimes::ShowtimeInfo>,
    level: usize,
) -> f64 {
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + PHASE;
    let mut tasks = Vec::new();
    for worker in 0..level {
        let (holds, db, info, done) = (
            state.holds.clone(),
            state.db.clone(),
            info.clone(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let session = format!("{:032x}", 0xce11_0000_u64 + worker as u64);
            let seat = info.seat_ids[worker % info.seat_ids.len()];
            while Instant::now() < deadline {
                holds
                    .hold(&db, &info, &session, "bench", &[seat])
                    .await
                    .unwrap();
                holds
                    .release(&info, &session, "bench", Some(&[seat]))
                    .await
                    .unwrap();
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / PHASE.as_secs_f64()
}

/// hold + release pairs per second over HTTP, closed loop.
async fn http_closed(
    base: &str,
    showtime: i64,
    seats: &Arc<Vec<i64>>,
    level: usize,
) -> (f64, Vec<Duration>) {
    let deadline = Instant::now() + PHASE;
    let mut tasks = Vec::new();
    for worker in 0..level {
        let (base, seats) = (base.to_string(), seats.clone());
        tasks.push(tokio::spawn(async move {
            let client = http_client();
            let seat = seats[worker % seats.len()];
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let start = Instant::now();
                let (status, body) = post(
                    &client,
                    &base,
                    "hold_seats",
                    json!({"showtime_id": showtime, "seat_ids": [seat]}),
                )
                .await;
                assert_eq!(status, 200, "{body}");
                latencies.push(start.elapsed());
                post(
                    &client,
                    &base,
                    "release_seats",
                    json!({"showtime_id": showtime, "seat_ids": [seat]}),
                )
                .await;
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    (all.len() as f64 / PHASE.as_secs_f64(), all)
}

/// Hold latencies over HTTP at a fixed arrival rate, measured from each scheduled send time.
async fn http_open(
    base: &str,
    showtime: i64,
    seats: &Arc<Vec<i64>>,
    level: usize,
    rate: f64,
) -> Vec<Duration> {
    // A pool of idle sessions, each with its own seat; an arrival takes one, or waits for one
    // (and that wait counts: latency starts at the scheduled time).
    let (give, take) = async_channel(level);
    for worker in 0..level {
        give.send((http_client(), seats[worker % seats.len()]))
            .await
            .unwrap();
    }
    let take = Arc::new(tokio::sync::Mutex::new(take));
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let count = (rate * PHASE.as_secs_f64()) as usize;
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        let (base, give, take) = (base.to_string(), give.clone(), take.clone());
        tasks.push(tokio::spawn(async move {
            let (client, seat) = take.lock().await.recv().await.unwrap();
            let (status, body) = post(
                &client,
                &base,
                "hold_seats",
                json!({"showtime_id": showtime, "seat_ids": [seat]}),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            let latency = scheduled.elapsed();
            post(
                &client,
                &base,
                "release_seats",
                json!({"showtime_id": showtime, "seat_ids": [seat]}),
            )
            .await;
            give.send((client, seat)).await.unwrap();
            latency
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.push(task.await.unwrap());
    }
    all.sort();
    all
}

fn async_channel<T>(
    capacity: usize,
) -> (tokio::sync::mpsc::Sender<T>, tokio::sync::mpsc::Receiver<T>) {
    tokio::sync::mpsc::channel(capacity.max(1))
}

/// 2,000 buyers, one showtime: everyone looks at the map, grabs 1–4 free seats, and buys.
async fn flash_sale(base: &str, state: &AppState, showtime: i64) {
    let all_seats = Arc::new(
        state
            .showtimes
            .get(&state.db, showtime)
            .await
            .unwrap()
            .seat_ids
            .clone(),
    );
    let total_seats = all_seats.len();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for buyer in 0..BUYERS {
        let (base, all_seats) = (base.to_string(), all_seats.clone());
        tasks.push(tokio::spawn(async move {
            let client = http_client();
            for attempt in 0..20 {
                let map: Value = match client
                    .get(format!("{base}/api/seat_map?showtime_id={showtime}"))
                    .send()
                    .await
                {
                    Ok(r) => r.json().await.unwrap_or(Value::Null),
                    Err(_) => continue,
                };
                let Some(want) = pick_free(&map, &all_seats) else {
                    return (0usize, attempt);
                };
                let (status, _) = post(
                    &client,
                    &base,
                    "hold_seats",
                    json!({"showtime_id": showtime, "seat_ids": want}),
                )
                .await;
                if status != 200 {
                    continue;
                }
                let (status, order) = post(
                    &client,
                    &base,
                    "purchase",
                    json!({"request": {
                        "showtime_id": showtime, "seat_ids": want, "name": format!("Buyer {buyer}"),
                        "email": format!("buyer{buyer}@example.com"),
                        "card_number": "4242424242424242",
                        "idempotency_key": format!("flash-{buyer}-{attempt}-key"),
                    }}),
                )
                .await;
                assert_eq!(status, 200, "a held seat must be buyable: {order}");
                return (want.len(), attempt);
            }
            (0, 20)
        }));
    }
    let mut bought = 0;
    let mut buyers_served = 0;
    for task in tasks {
        let (seats, _) = task.await.unwrap();
        bought += seats;
        buyers_served += usize::from(seats > 0);
    }
    let elapsed = start.elapsed();
    let (tickets, distinct): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT seat_id) FROM tickets WHERE showtime_id = $1",
    )
    .bind(showtime)
    .fetch_one(&state.db)
    .await
    .unwrap();
    let mut redis = state.redis.clone();
    let redis_sold: usize = redis::cmd("SCARD")
        .arg(state.holds.keys(showtime).sold())
        .query_async(&mut redis)
        .await
        .unwrap();
    println!();
    println!("flash sale: {BUYERS} buyers, {total_seats} seats (Grand Hall)");
    println!(
        "  sold out in {:.2}s: {tickets} tickets to {buyers_served} buyers",
        elapsed.as_secs_f64()
    );
    println!(
        "  oversold: {} (tickets {tickets}, distinct seats {distinct}, seats {total_seats}, Redis sold {redis_sold})",
        tickets - distinct
    );
    assert_eq!(tickets, distinct, "a seat was sold twice");
    assert_eq!(bought as i64, tickets);
    assert_eq!(tickets as usize, total_seats, "the showtime sold out");
    assert_eq!(redis_sold, total_seats);
}
