//! Part 3 of the cluster bench: one showtime, the hot spot. All its keys are in one slot, so
//! one Redis process does all its work, whatever the number of shards.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use marquee::app::error::AppError;
use marquee::server::booking::holds::HoldAttempt;
use marquee::server::booking::showtimes::ShowtimeInfo;

use super::support::instance::Instance;
use super::{CONCURRENCY, Run, SHORT_PHASE, Topology, engine_pairs, measured, session};

/// Subscriptions on the showtime's channel in turn: as many instances watching it.
const SUBSCRIBERS: [usize; 3] = [0, 4, 16];

/// One showtime: all its keys are in one slot, so on either topology one Redis process (one
/// core) does all its work; only that process's CPU is counted.
pub async fn section(topologies: &[Topology], hot: &Arc<ShowtimeInfo>) {
    println!();
    println!(
        "Hot spot: one showtime ({} seats) on the one Redis process that owns it, the engine called by",
        hot.seat_ids.len(),
    );
    println!(
        "{CONCURRENCY} workers, {}s each. An op is a hold and its release (two scripts, two events, and the",
        SHORT_PHASE.as_secs()
    );
    println!(
        "hold's ZADD to the sweep index); subscribed instances each hold a subscription to its channel."
    );
    println!();
    println!(
        "| Redis | what | per second | Redis cores busy | Redis µs each | per Redis core-second | events received |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let one = Arc::new(vec![hot.clone()]);
    for topology in topologies {
        let instance = &topology.instances[0];
        let keys = instance.state.holds.keys(hot.id);
        let owner = topology.redis.owner(&keys.sold());
        let pids = [topology.redis.pid(owner)];
        let row = |what: String, run: Run, received: Option<usize>| {
            println!(
                "| {} | {what} | {:.0} | {:.2} | {:.1} | {:.0} | {} |",
                topology.name,
                run.rate(),
                run.cores(run.cpu.redis),
                run.us(run.cpu.redis),
                1e6 / run.us(run.cpu.redis),
                received.map_or("-".into(), |n| n.to_string()),
            );
        };
        for subscribers in SUBSCRIBERS {
            let listeners = Listeners::subscribe(topology, &keys.channel(), subscribers).await;
            let run = measured(&pids, engine_pairs(instance, one.clone(), SHORT_PHASE)).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let received = listeners.received.load(Ordering::Relaxed);
            drop(listeners);
            let what = format!("hold + release, {subscribers} subscribed instances");
            row(what, run, Some(received));
        }
        let run = measured(&pids, engine_refused(instance, hot.clone())).await;
        row("hold refused (seat taken)".into(), run, None);
        let run = measured(&pids, engine_snapshots(instance, hot.clone())).await;
        row("snapshot (a whole seat map, read)".into(), run, None);
    }
}

/// Subscriptions to one showtime's channel, as that many instances watching it hold: a plain
/// `SUBSCRIBE` on one Redis, an `SSUBSCRIBE` over a cluster connection of its own on a
/// cluster (as `live::hub` does). Each drains and counts its messages; dropped, they end.
struct Listeners {
    received: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    connections: Vec<redis::cluster_async::ClusterConnection>,
}

impl Listeners {
    async fn subscribe(topology: &Topology, channel: &str, count: usize) -> Self {
        let received = Arc::new(AtomicUsize::new(0));
        let (mut tasks, mut connections) = (Vec::new(), Vec::new());
        let cluster = topology.redis.pids().len() > 1;
        for _ in 0..count {
            let received = received.clone();
            if cluster {
                let seeds: Vec<String> =
                    topology.redis.seeds().split(',').map(Into::into).collect();
                let client = marquee::server::redis_client::cluster_client(&seeds, |builder| {
                    builder.push_sender(move |push: redis::PushInfo| {
                        if push.kind == redis::PushKind::SMessage {
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok::<(), ()>(())
                    })
                })
                .unwrap();
                let mut connection = client.get_async_connection().await.unwrap();
                connection.ssubscribe(channel).await.unwrap();
                connections.push(connection);
            } else {
                let client = redis::Client::open(topology.redis.url()).unwrap();
                let mut pubsub = client.get_async_pubsub().await.unwrap();
                pubsub.subscribe(channel).await.unwrap();
                tasks.push(tokio::spawn(async move {
                    let mut messages = pubsub.into_on_message();
                    while messages.next().await.is_some() {
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
        }
        Self {
            received,
            tasks,
            connections,
        }
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.connections.clear();
    }
}

/// Holds refused because someone else holds the seat: what most attempts are at an on-sale.
async fn engine_refused(instance: &Instance, info: Arc<ShowtimeInfo>) -> usize {
    let state = &instance.state;
    for worker in 0..CONCURRENCY {
        let seat = [info.seat_ids[worker]];
        let held = state
            .holds
            .hold(&state.db, &info, &session(0xb10c, worker), "bench", &seat)
            .await;
        assert!(matches!(held, Ok(HoldAttempt::Held(_))));
    }
    let deadline = Instant::now() + SHORT_PHASE;
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (state, info) = (state.clone(), info.clone());
        tasks.push(instance.runtime.spawn(async move {
            let session = session(0xce11, worker);
            let seat = [info.seat_ids[worker]];
            let mut done = 0;
            while Instant::now() < deadline {
                let held = state.holds.hold(&state.db, &info, &session, "bench", &seat);
                assert!(matches!(held.await, Err(AppError::SeatTaken { .. })));
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    for worker in 0..CONCURRENCY {
        let seat = [info.seat_ids[worker]];
        let blocker = session(0xb10c, worker);
        let released = state.holds.release(&info, &blocker, "bench", Some(&seat));
        released.await.unwrap();
    }
    total
}

/// Seat map snapshots: what each page load, new socket and resync asks of the showtime's
/// shard (one script reading every seat).
async fn engine_snapshots(instance: &Instance, info: Arc<ShowtimeInfo>) -> usize {
    let deadline = Instant::now() + SHORT_PHASE;
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (state, info) = (instance.state.clone(), info.clone());
        tasks.push(instance.runtime.spawn(async move {
            let session = session(0x5eed, worker);
            let mut done = 0;
            while Instant::now() < deadline {
                state
                    .holds
                    .snapshot(&state.db, &info, &session)
                    .await
                    .unwrap();
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total
}
