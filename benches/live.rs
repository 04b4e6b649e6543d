//! Live feed benchmark: many sockets on one showtime, seat changes at a steady rate.
//! Run with `make bench` (after the hold benchmark).
//!
//! Reports the time from a change being made (just before its script runs in Redis) to its
//! delta arriving on each socket (p50/p99/max over every socket and change), and the process's
//! memory growth per connected socket. Clients and server share the process, so the memory
//! figure is an upper bound for the server's share.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
mod support;

use marquee::server::Application;
use marquee::server::booking::holds::HoldAttempt;
use support::measure::percentile;
use tokio_tungstenite::connect_async_with_config;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const SOCKETS: usize = 1_000;
const CHANGES: usize = 100;
const RATE_PER_SEC: u64 = 20;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let database = support::BenchDatabase::create("live").await;
    // All 1,000 sockets come from this one address: lift the per-address cap for them.
    let settings = database.settings(&[("LIVE_BUFFER", "1024"), ("WS_MAX_PER_IP", "2000")]);
    let app = Application::build(settings).await.expect("app builds");
    let ws_base = format!("ws://{}", app.address());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    let showtime = support::BenchDatabase::showtime_in(&state.db, "Grand Hall", 0).await;
    let info = state.showtimes.get(&state.db, showtime).await.unwrap();

    let before = rss_kib();
    let received: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let mut readers = Vec::new();
    let connect_start = Instant::now();
    for _ in 0..SOCKETS {
        let url = format!("{ws_base}/ws/showtimes/{showtime}");
        // Small client buffers too, so the memory growth is mostly the server's.
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (mut socket, _) = connect_async_with_config(url, Some(config), false)
            .await
            .expect("socket connects");
        // The snapshot comes first.
        match socket.next().await {
            Some(Ok(Message::Text(_))) => {}
            other => panic!("expected a snapshot, got {other:?}"),
        }
        let received = received.clone();
        readers.push(tokio::spawn(async move {
            let mut mine = Vec::with_capacity(CHANGES * 2);
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message {
                    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                    if let Some(v) = value["version"].as_u64() {
                        mine.push((v, Instant::now()));
                    }
                    if mine.len() == CHANGES * 2 {
                        break;
                    }
                }
            }
            received.lock().unwrap().extend(mine);
        }));
    }
    let connected_in = connect_start.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib();

    // Steady changes: hold then release one seat, RATE_PER_SEC changes a second.
    let mut made: Vec<(u64, Instant)> = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(1000 / RATE_PER_SEC));
    let session = "0123456789abcdef0123456789abcdef";
    for i in 0..CHANGES {
        let seat = info.seat_ids[i % info.seat_ids.len()];
        ticker.tick().await;
        let start = Instant::now();
        let HoldAttempt::Held(hold) = state
            .holds
            .hold(&state.db, &info, session, "bench", &[seat])
            .await
            .unwrap()
        else {
            panic!("nobody waits in line here, so a hold is never deferred to it");
        };
        made.push((hold.version, start));
        ticker.tick().await;
        let start = Instant::now();
        let release = state
            .holds
            .release(&info, session, "bench", Some(&[seat]))
            .await
            .unwrap();
        made.push((release.status.version, start));
    }
    for reader in readers {
        let _ = tokio::time::timeout(Duration::from_secs(10), reader).await;
    }
    let made: std::collections::HashMap<u64, Instant> = made.into_iter().collect();
    let mut latencies: Vec<Duration> = received
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(v, at)| made.get(v).map(|start| at.duration_since(*start)))
        .collect();
    latencies.sort();
    let expected = SOCKETS * CHANGES * 2;
    println!(
        "live feed: {SOCKETS} sockets on one showtime, {} changes at {RATE_PER_SEC}/s",
        CHANGES * 2
    );
    println!(
        "  connected (each with its snapshot) in {:.2}s",
        connected_in.as_secs_f64()
    );
    println!(
        "  deliveries: {} of {expected}; change-to-socket latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0,
    );
    println!(
        "  memory: {} KiB RSS growth for {SOCKETS} sockets = {:.1} KiB per socket (server and client ends together)",
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 / SOCKETS as f64
    );
    assert_eq!(latencies.len(), expected, "every socket got every change");

    drop(state);
    database.drop().await;
}
