//! Part 4 of the cluster bench: what the live feed costs the app per delta delivered.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use marquee::server::booking::holds::HoldAttempt;
use marquee::server::booking::showtimes::ShowtimeInfo;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::{Topology, measured};

const SOCKETS: usize = 1_000;
const CHANGES: usize = 300;
const CHANGES_PER_SEC: u64 = 100;

/// The live feed: `SOCKETS` sockets on one showtime of one instance, `CHANGES` seat changes
/// at `CHANGES_PER_SEC`; the app's CPU per delta delivered.
pub async fn section(topology: &Topology, showtime: &Arc<ShowtimeInfo>) {
    let instance = &topology.instances[0];
    let url = format!("ws://{}/ws/showtimes/{}", instance.address, showtime.id);
    let (deltas, snapshots) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut readers = Vec::new();
    for _ in 0..SOCKETS {
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (mut socket, _) =
            tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), false)
                .await
                .expect("socket connects");
        // The snapshot comes first.
        assert!(matches!(socket.next().await, Some(Ok(Message::Text(_)))));
        let (deltas, snapshots) = (deltas.clone(), snapshots.clone());
        readers.push(tokio::spawn(async move {
            let mut mine = 0;
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message {
                    if text.contains("\"snapshot\"") {
                        snapshots.fetch_add(1, Ordering::Relaxed);
                    } else {
                        deltas.fetch_add(1, Ordering::Relaxed);
                        mine += 1;
                        if mine == CHANGES {
                            break;
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pids = topology.redis.pids();
    let state = &instance.state;
    let run = measured(&pids, async {
        let mut ticker = tokio::time::interval(Duration::from_millis(1000 / CHANGES_PER_SEC));
        let session = "0123456789abcdef0123456789abcdef";
        for i in 0..CHANGES / 2 {
            let seat = showtime.seat_ids[i % showtime.seat_ids.len()];
            ticker.tick().await;
            let held = state
                .holds
                .hold(&state.db, showtime, session, "bench", &[seat])
                .await
                .unwrap();
            assert!(matches!(held, HoldAttempt::Held(_)));
            ticker.tick().await;
            state
                .holds
                .release(showtime, session, "bench", Some(&[seat]))
                .await
                .unwrap();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        for reader in &mut readers {
            let _ = tokio::time::timeout_at(deadline, reader).await;
        }
        deltas.load(Ordering::Relaxed)
    })
    .await;
    for reader in readers {
        reader.abort();
    }
    println!();
    println!(
        "Live feed: {SOCKETS} sockets on one showtime of one instance, {CHANGES} changes at {CHANGES_PER_SEC}/s."
    );
    println!();
    println!(
        "| deltas delivered | snapshots (resyncs) | app µs per delivery | deliveries per app core-second | load generator µs per delivery |"
    );
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {} of {} | {} | {:.2} | {:.0} | {:.2} |",
        run.ops,
        SOCKETS * CHANGES,
        snapshots.load(Ordering::Relaxed),
        run.us(run.cpu.app),
        1e6 / run.us(run.cpu.app),
        run.us(run.cpu.generator),
    );
}
