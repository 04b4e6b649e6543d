//! What "best available" costs: `POST /api/hold_best` against `POST /api/hold_seats` of the
//! very seats it chose, over HTTP on one app, in one process, one run. Run with `make bench`
//! (fifth part).
//!
//! On the Grand Hall (352 seats), empty and then with every other seat of rows H–P held by
//! someone else (the chooser has to look past half the room). Each sample is one request from
//! one client, then `release_all` (not timed); best available and the plain hold alternate by
//! round, so both see the same machine. The figure is the ratio of medians: what choosing
//! (a seat map read and the search) adds to holding.

use std::time::Instant;

mod support;

use marquee::server::Application;
use serde_json::{Value, json};
use support::measure::{http_client, ms, percentile};

const COUNTS: [u32; 3] = [2, 4, 6];
const SAMPLES: usize = 200;
const ROUNDS: usize = 3;

async fn post(client: &reqwest::Client, base: &str, endpoint: &str, body: Value) -> Value {
    let response = client
        .post(format!("{base}/api/{endpoint}"))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(response.status().is_success(), "{endpoint} refused");
    response.json().await.expect("json")
}

#[tokio::main]
async fn main() {
    let database = support::BenchDatabase::create("best").await;
    let prefix = format!("bench-best-{}", std::process::id());
    let app = Application::build(database.settings(&[
        ("RATE_LIMITS", "false"),
        ("MAX_SEATS_PER_HOLD", "400"),
        ("MAX_SEATS_PER_IP", "1000"),
        ("REDIS_KEY_PREFIX", &prefix),
    ]))
    .await
    .expect("app builds");
    let base = format!("http://{}", app.address());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let showtime = support::BenchDatabase::showtime_in(&state.db, "Grand Hall", 0).await;
    let info = state.showtimes.get(&state.db, showtime).await.unwrap();

    println!(
        "Marquee best available vs a plain hold of the same seats ({} cores): Grand Hall, \
         one client, {SAMPLES} requests per round, {ROUNDS} rounds, ms",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!("| room | seats | hold_best p50 | p99 | hold_seats p50 | p99 | p50 best / plain |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let buyer = http_client();
    let release = json!({ "showtime_id": showtime });
    for room in ["empty", "half held"] {
        if room == "half held" {
            // Every other seat of rows H–P (the back, where the sweet spot is).
            let back: Vec<i64> = info
                .seat_ids
                .iter()
                .filter(|id| info.seats[id].row >= 8)
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, id)| *id)
                .collect();
            post(
                &http_client(),
                &base,
                "hold_seats",
                json!({ "showtime_id": showtime, "seat_ids": back }),
            )
            .await;
        }
        for count in COUNTS {
            let (mut best, mut plain) = (Vec::new(), Vec::new());
            let body = json!({ "showtime_id": showtime, "count": count });
            let chosen = post(&buyer, &base, "hold_best", body.clone()).await;
            post(&buyer, &base, "release_all", release.clone()).await;
            let seats = json!({ "showtime_id": showtime, "seat_ids": chosen["hold"]["seat_ids"] });
            for _ in 0..ROUNDS {
                for _ in 0..SAMPLES {
                    let started = Instant::now();
                    post(&buyer, &base, "hold_best", body.clone()).await;
                    best.push(started.elapsed());
                    post(&buyer, &base, "release_all", release.clone()).await;
                }
                for _ in 0..SAMPLES {
                    let started = Instant::now();
                    post(&buyer, &base, "hold_seats", seats.clone()).await;
                    plain.push(started.elapsed());
                    post(&buyer, &base, "release_all", release.clone()).await;
                }
            }
            best.sort();
            plain.sort();
            let (b50, b99) = (percentile(&best, 0.5), percentile(&best, 0.99));
            let (p50, p99) = (percentile(&plain, 0.5), percentile(&plain, 0.99));
            println!(
                "| {room} | {count} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2}× |",
                ms(b50),
                ms(b99),
                ms(p50),
                ms(p99),
                b50.as_secs_f64() / p50.as_secs_f64()
            );
        }
    }
    database.drop().await;
}
