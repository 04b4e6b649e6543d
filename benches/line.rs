//! Waiting-line benchmark: what serving the line costs, next to a plain hold.
//! Run with `make bench` (third part).
//!
//! Everything runs in process against the hold engine and the line (no HTTP), on Grand Hall
//! showtimes (352 seats, which every serve scans). Reported as ratios to the baseline, a hold
//! plus a release of one seat with nobody in line, measured in the same run; the baseline and
//! the scans are the best of three rounds.

mod support;

use std::time::{Duration, Instant};

use marquee::server::booking::holds::HoldAttempt;
use marquee::server::booking::showtimes::ShowtimeInfo;
use marquee::server::{AppState, Application};

const BASELINE_OPS: usize = 2_000;
const OFFERS: usize = 300;
const SCANS: usize = 500;
const ROUNDS: usize = 3;

fn session(kind: u64, n: usize) -> String {
    format!("{:016x}{:016x}", kind, n)
}

async fn hold(state: &AppState, info: &ShowtimeInfo, who: &str, seats: &[i64]) {
    match state
        .holds
        .hold(&state.db, info, who, "bench", seats)
        .await
        .unwrap()
    {
        HoldAttempt::Held(_) => {}
        HoldAttempt::ServeLineFirst => panic!("the benchmark holds before anyone joins"),
    }
}

/// Every seat held, ten to a session; returns the owner of each seat in layout order.
async fn fill(state: &AppState, info: &ShowtimeInfo) -> Vec<String> {
    let mut owners = Vec::new();
    for (n, chunk) in info.seat_ids.chunks(10).enumerate() {
        let owner = session(0x0f, n);
        hold(state, info, &owner, chunk).await;
        owners.extend(std::iter::repeat_n(owner, chunk.len()));
    }
    owners
}

async fn join(state: &AppState, info: &ShowtimeInfo, people: usize, party: u32, kind: u64) {
    for n in 0..people {
        let who = session(kind, n);
        state
            .line
            .join(&state.db, info, &who, &who, party)
            .await
            .unwrap();
    }
}

fn per_op(elapsed: Duration, ops: usize) -> f64 {
    elapsed.as_secs_f64() * 1e6 / ops as f64
}

#[tokio::main]
async fn main() {
    let database = support::BenchDatabase::create("line").await;
    let settings = database.settings(&[("LINE_MAX_LENGTH", "1000")]);
    let app = Application::build(settings).await.expect("app builds");
    let state = app.state().clone();
    let halls: Vec<i64> = sqlx::query_scalar(
        "SELECT s.id FROM showtimes s JOIN auditoriums a ON a.id = s.auditorium_id
          WHERE a.name = 'Grand Hall' AND s.starts_at > now() ORDER BY s.starts_at LIMIT 3",
    )
    .fetch_all(&state.db)
    .await
    .unwrap();
    let info = |i: usize| {
        let state = state.clone();
        let id = halls[i];
        async move { state.showtimes.get(&state.db, id).await.unwrap() }
    };

    // Baseline: hold and release one seat, nobody in line.
    let empty = info(0).await;
    let who = session(0xba, 0);
    let start = Instant::now();
    for i in 0..BASELINE_OPS {
        let seat = empty.seat_ids[i % empty.seat_ids.len()];
        hold(&state, &empty, &who, &[seat]).await;
        state
            .holds
            .release(&empty, &who, "bench", Some(&[seat]))
            .await
            .unwrap();
    }
    let baseline = per_op(start.elapsed(), BASELINE_OPS);

    // Hand-off: a full house and a line of parties of 1; each release is served at once.
    let full = info(1).await;
    let owners = fill(&state, &full).await;
    join(&state, &full, OFFERS, 1, 0x11).await;
    let start = Instant::now();
    let mut offered = 0;
    for (seat, owner) in full.seat_ids.iter().zip(&owners).take(OFFERS) {
        let released = state
            .holds
            .release(&full, owner, "bench", Some(&[*seat]))
            .await
            .unwrap();
        assert!(released.line_waiting);
        offered += state.line.serve(&state.db, &full).await.unwrap();
    }
    let handoff = per_op(start.elapsed(), OFFERS);
    assert_eq!(
        offered as usize, OFFERS,
        "every freed seat was offered once"
    );

    // Worst case: one free seat that fits nobody, so every serve walks the whole line.
    let scan_info = info(2).await;
    let owners = fill(&state, &scan_info).await;
    let mut scans = Vec::new();
    let free = scan_info.seat_ids[0];
    state
        .holds
        .release(&scan_info, &owners[0], "bench", Some(&[free]))
        .await
        .unwrap();
    let mut length = 0;
    for target in [10, 100, 250, 500, 750, 1_000] {
        for n in length..target {
            let who = session(0x22, n);
            state
                .line
                .join(&state.db, &scan_info, &who, &who, 2)
                .await
                .unwrap();
        }
        length = target;
        let mut best = f64::MAX;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            for _ in 0..SCANS {
                let made = state.line.serve(&state.db, &scan_info).await.unwrap();
                assert_eq!(made, 0);
            }
            best = best.min(per_op(start.elapsed(), SCANS));
        }
        scans.push((target, best));
    }

    println!(
        "Marquee waiting-line benchmark ({} cores), Grand Hall (352 seats)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!("| operation | µs per op | vs baseline |");
    println!("|---|---:|---:|");
    println!("| baseline: hold + release, nobody in line | {baseline:.0} | 1.00 |");
    println!(
        "| release + serve, the seat offered to the head ({OFFERS} in line at the start) | {handoff:.0} | {:.2} |",
        handoff / baseline
    );
    for (length, cost) in scans {
        println!(
            "| serve that offers nothing, {length} in line (walks all of it) | {cost:.0} | {:.2} |",
            cost / baseline
        );
    }
    drop(state);
    drop(app);
    database.drop().await;
}
