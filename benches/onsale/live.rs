//! The live feed at a given number of sockets, measured as `live.rs` does (sockets connected
//! one after the other, each reading its snapshot; then a hold and a release of one seat, 20
//! changes a second, made on the engine directly), in a process of its own: the RSS growth per
//! socket is only meaningful in a fresh heap, not one the flash sale (or a previous size)
//! has already grown and freed.
//!
//! The parent re-runs this bench's executable with `ONSALE_LIVE_SOCKETS=<n>`; the child prints
//! its figures, the last line machine-readable (`onsale-live key=value …`).

use std::collections::{BTreeMap, HashMap};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use marquee::server::Application;
use marquee::server::booking::holds::HoldAttempt;
use serde::Deserialize;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_tungstenite::connect_async_with_config;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::support::BenchDatabase;
use crate::support::measure::{ms, percentile};

pub const ENV: &str = "ONSALE_LIVE_SOCKETS";
const CHANGES: usize = 100;
const RATE_PER_SEC: u64 = 20;
/// How long sockets may still be catching up once the last change was made.
const GRACE: Duration = Duration::from_secs(10);
const TAG: &str = "onsale-live";

/// Figures of one child run, by name (see [`child`] for the names).
pub type Figures = BTreeMap<String, f64>;

/// Just the fields a reader needs: serde skips the rest (a snapshot's seats) without keeping it.
#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    version: Option<u64>,
}

/// What one socket received after its first snapshot.
#[derive(Default)]
struct Seen {
    deltas: Vec<(u64, Instant)>,
    /// Snapshots after the first: the server sends one instead of the deltas a socket fell
    /// too far behind on (`LIVE_BUFFER`).
    resyncs: usize,
    /// How the socket ended before it had every change, if it did.
    ended: Option<String>,
}

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

/// Runs this executable again to measure `sockets` in a fresh process; its human lines are
/// passed through, its figures returned (`None`, with the reason printed, if it failed).
pub fn measure_in_child(sockets: usize) -> Option<Figures> {
    let output = Command::new(std::env::current_exe().expect("own path"))
        .env(ENV, sockets.to_string())
        .stderr(Stdio::inherit())
        .output()
        .expect("the bench runs itself");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut figures = None;
    for line in stdout.lines() {
        match line.strip_prefix(TAG) {
            Some(rest) => {
                figures = Some(
                    rest.split_whitespace()
                        .filter_map(|pair| pair.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.parse().unwrap_or(f64::NAN)))
                        .collect(),
                )
            }
            None => println!("{line}"),
        }
    }
    if figures.is_none() {
        println!(
            "  live feed at {sockets} sockets: no figures ({})",
            output.status
        );
    }
    figures
}

/// The child: one app, `sockets` sockets on one showtime of it.
pub async fn child(sockets: usize) {
    let database = BenchDatabase::create("onsale_live").await;
    // Every socket comes from this one address: lift the per-address cap (and the instance's,
    // 10,000 by default) above the sockets opened here. The buffer as in `live.rs`.
    let cap = (sockets + 100).max(10_000).to_string();
    let settings = database.settings(&[
        ("LIVE_BUFFER", "1024"),
        ("WS_MAX_PER_IP", &cap),
        ("WS_MAX_CONNECTIONS", &cap),
    ]);
    let app = Application::build(settings).await.expect("app builds");
    let ws_base = format!("ws://{}", app.address());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    let showtime = BenchDatabase::showtime_in(&state.db, "Grand Hall", 0).await;
    let info = state.showtimes.get(&state.db, showtime).await.unwrap();
    let session = "0123456789abcdef0123456789abcdef";
    // The first read of a fresh showtime loads its sold seats into Redis, which announces a
    // `rebuilt` that sends a snapshot again to whoever is already connected: read it once
    // before any socket, so that every later snapshot is one a socket fell behind for.
    state
        .holds
        .snapshot(&state.db, &info, session)
        .await
        .unwrap();

    let before = rss_kib();
    let (stop, stopping) = watch::channel(false);
    let mut readers = JoinSet::new();
    let connect_start = Instant::now();
    for _ in 0..sockets {
        let url = format!("{ws_base}/ws/showtimes/{showtime}");
        // Small client buffers too, so the memory growth is mostly the server's.
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (mut socket, _) = connect_async_with_config(url, Some(config), false)
            .await
            .expect("socket connects");
        match socket.next().await {
            Some(Ok(Message::Text(_))) => {}
            other => panic!("expected a snapshot, got {other:?}"),
        }
        let mut stopping = stopping.clone();
        readers.spawn(async move {
            let mut seen = Seen::default();
            while seen.deltas.len() < CHANGES * 2 {
                let message = tokio::select! {
                    message = socket.next() => message,
                    _ = stopping.changed() => break,
                };
                let at = Instant::now();
                match message {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<Frame>(&text) {
                        Ok(Frame {
                            version: Some(v), ..
                        }) => seen.deltas.push((v, at)),
                        Ok(frame) if frame.kind == "snapshot" => seen.resyncs += 1,
                        _ => {}
                    },
                    Some(Ok(Message::Close(frame))) => {
                        seen.ended = Some(format!("closed by the server: {frame:?}"));
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        seen.ended = Some(format!("error: {error}"));
                        break;
                    }
                    None => {
                        seen.ended = Some("ended without a close".into());
                        break;
                    }
                }
            }
            seen
        });
    }
    let connected_in = connect_start.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib();

    // Steady changes: hold then release one seat, RATE_PER_SEC changes a second.
    let mut made: HashMap<u64, Instant> = HashMap::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(1000 / RATE_PER_SEC));
    for i in 0..CHANGES {
        let seat = info.seat_ids[i % info.seat_ids.len()];
        ticker.tick().await;
        let start = Instant::now();
        let HoldAttempt::Held(hold) = (state.holds)
            .hold(&state.db, &info, session, "bench", &[seat])
            .await
            .unwrap()
        else {
            panic!("nobody waits in line here, so a hold is never deferred to it");
        };
        made.insert(hold.version, start);
        ticker.tick().await;
        let start = Instant::now();
        let release = (state.holds)
            .release(&info, session, "bench", Some(&[seat]))
            .await
            .unwrap();
        made.insert(release.status.version, start);
    }

    let mut seen = Vec::with_capacity(sockets);
    let _ = tokio::time::timeout(GRACE, async {
        while let Some(reader) = readers.join_next().await {
            seen.push(reader.unwrap());
        }
    })
    .await;
    let _ = stop.send(true);
    while let Some(reader) = readers.join_next().await {
        seen.push(reader.unwrap());
    }

    let mut latencies: Vec<Duration> = (seen.iter())
        .flat_map(|s| &s.deltas)
        .filter_map(|(v, at)| made.get(v).map(|start| at.duration_since(*start)))
        .collect();
    latencies.sort();
    let expected = sockets * CHANGES * 2;
    let complete = seen
        .iter()
        .filter(|s| s.deltas.len() == CHANGES * 2)
        .count();
    let resyncs: usize = seen.iter().map(|s| s.resyncs).sum();
    let mut endings: BTreeMap<&str, usize> = BTreeMap::new();
    for ended in seen.iter().filter_map(|s| s.ended.as_deref()) {
        *endings.entry(ended).or_default() += 1;
    }
    let growth = after.saturating_sub(before);
    println!(
        "live feed: {sockets} sockets on one showtime, {} changes at {RATE_PER_SEC}/s",
        CHANGES * 2
    );
    println!(
        "  connected (each with its snapshot) in {:.2}s",
        connected_in.as_secs_f64()
    );
    println!(
        "  deliveries: {} of {expected} ({complete} sockets got every change, {resyncs} resync snapshots); \
         change-to-socket p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    println!(
        "  memory: {growth} KiB RSS growth for {sockets} sockets = {:.1} KiB per socket (server and client ends together)",
        growth as f64 / sockets as f64
    );
    for (ended, count) in &endings {
        println!("  {count} sockets ended early: {ended}");
    }
    println!(
        "{TAG} sockets={sockets} connect_s={:.3} delivered={} expected={expected} complete={complete} \
         resyncs={resyncs} ended_early={} p50_ms={:.3} p99_ms={:.3} max_ms={:.3} kib_per_socket={:.2}",
        connected_in.as_secs_f64(),
        latencies.len(),
        endings.values().sum::<usize>(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
        growth as f64 / sockets as f64,
    );
    drop(state);
    database.drop().await;
}

/// The two sizes side by side, the larger as a ratio of the smaller (same run, same machine).
pub fn print_comparison(small: &Figures, large: &Figures) {
    let get = |f: &Figures, k: &str| f.get(k).copied().unwrap_or(f64::NAN);
    let (s, l) = (get(small, "sockets"), get(large, "sockets"));
    println!();
    println!(
        "live feed, one showtime, {} changes at {RATE_PER_SEC}/s",
        CHANGES * 2
    );
    println!("{:<32} | {:>10} | {:>10} | {:>6}", "", s, l, "ratio");
    for (name, key) in [
        ("connect all (with snapshots), s", "connect_s"),
        ("deliveries", "delivered"),
        ("change-to-socket p50, ms", "p50_ms"),
        ("change-to-socket p99, ms", "p99_ms"),
        ("change-to-socket max, ms", "max_ms"),
        ("RSS per socket, KiB", "kib_per_socket"),
    ] {
        let (a, b) = (get(small, key), get(large, key));
        println!("{name:<32} | {a:>10.2} | {b:>10.2} | {:>5.2}x", b / a);
    }
}

/// Deliveries lost or sockets dropped, at either size.
pub fn problems(figures: &[(usize, Option<Figures>)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (sockets, figures) in figures {
        let Some(f) = figures else {
            problems.push(format!("live feed at {sockets} sockets: the run failed"));
            continue;
        };
        let get = |k: &str| f.get(k).copied().unwrap_or(f64::NAN);
        if get("delivered") != get("expected") || get("ended_early") != 0.0 {
            problems.push(format!(
                "live feed at {sockets} sockets: {} of {} deliveries, {} resyncs, {} sockets ended early",
                get("delivered"),
                get("expected"),
                get("resyncs"),
                get("ended_early")
            ));
        }
    }
    problems
}
