//! What abuse protection costs: hold + release over HTTP with every limit on against the same
//! app with them off, in one process, one run. Run with `make bench` (fourth part).
//!
//! Both apps share Postgres and Redis and run one after the other, alternating, best of three
//! rounds each. "On" is the default budgets raised so that nothing is refused (the checks still
//! run: the client-address middleware, one GCRA script per call, the per-address inventory
//! count in the hold script); each worker is its own client address behind a trusted proxy.
//! "Off" is `RATE_LIMITS=false`. The ratio on/off is the figure; the goal is 90% or better.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use marquee::server::Application;
use serde_json::{Value, json};

const LEVELS: [usize; 3] = [1, 8, 32];
const PHASE: Duration = Duration::from_secs(4);
const ROUNDS: usize = 3;

async fn start(database: &support::BenchDatabase, on: bool) -> (String, i64, Arc<Vec<i64>>) {
    let huge = "100000000/60";
    let mut settings = vec![
        ("DATABASE_MAX_CONNECTIONS", "20"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("RATE_LIMITS", if on { "true" } else { "false" }),
        ("MAX_SEATS_PER_IP", "1000"),
    ];
    let prefix = format!(
        "bench-protections-{}-{}",
        std::process::id(),
        if on { "on" } else { "off" }
    );
    settings.push(("REDIS_KEY_PREFIX", &prefix));
    for budget in [
        "RATE_NEW_SESSIONS_PER_IP",
        "RATE_HOLDS_PER_SESSION",
        "RATE_HOLDS_PER_IP",
    ] {
        settings.push((budget, huge));
    }
    let app = Application::build(database.settings(&settings))
        .await
        .expect("app builds");
    let base = format!("http://{}", app.address());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let showtime = support::BenchDatabase::showtime_in(&state.db, "Grand Hall", 0).await;
    let info = state.showtimes.get(&state.db, showtime).await.unwrap();
    (base, showtime, Arc::new(info.seat_ids.clone()))
}

async fn post(client: &reqwest::Client, base: &str, endpoint: &str, body: Value) -> (u16, String) {
    match client
        .post(format!("{base}/api/{endpoint}"))
        .json(&body)
        .send()
        .await
    {
        Ok(response) => (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        ),
        Err(error) => (0, error.to_string()),
    }
}

/// hold + release pairs per second, closed loop, each worker its own session and address.
async fn ops_per_sec(base: &str, showtime: i64, seats: &Arc<Vec<i64>>, level: usize) -> f64 {
    let deadline = Instant::now() + PHASE;
    let mut tasks = Vec::new();
    for worker in 0..level {
        let (base, seats) = (base.to_string(), seats.clone());
        tasks.push(tokio::spawn(async move {
            let mut headers = reqwest::header::HeaderMap::new();
            let ip = format!("10.{}.{}.1", worker / 250, worker % 250 + 1);
            headers.insert("x-forwarded-for", ip.parse().unwrap());
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .default_headers(headers)
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let seat = seats[worker % seats.len()];
            let mut done = 0usize;
            while Instant::now() < deadline {
                let body = json!({"showtime_id": showtime, "seat_ids": [seat]});
                let (status, reply) = post(&client, &base, "hold_seats", body.clone()).await;
                assert_eq!(status, 200, "hold refused: {reply}");
                post(&client, &base, "release_seats", body).await;
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total as f64 / PHASE.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let database = support::BenchDatabase::create("protections").await;
    let (off, showtime_off, seats_off) = start(&database, false).await;
    let (on, showtime_on, seats_on) = start(&database, true).await;
    println!(
        "Marquee abuse-protection cost ({} cores): hold + release over HTTP, ops/s, best of {ROUNDS}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!("| concurrency | limits off | limits on | on / off |");
    println!("|---:|---:|---:|---:|");
    for level in LEVELS {
        let (mut best_off, mut best_on) = (0f64, 0f64);
        for _ in 0..ROUNDS {
            best_off = best_off.max(ops_per_sec(&off, showtime_off, &seats_off, level).await);
            best_on = best_on.max(ops_per_sec(&on, showtime_on, &seats_on, level).await);
        }
        println!(
            "| {level} | {best_off:.0} | {best_on:.0} | {:.1}% |",
            100.0 * best_on / best_off
        );
    }
    database.drop().await;
}
