//! Scale-out on this machine: holds over HTTP spread over many showtimes, with 1 or 3 app
//! instances on one Redis or on a 3-shard Redis Cluster, and the per-core figures that
//! `docs/scaling.md` builds its model from. Run with `make bench-cluster`.
//!
//! Every Redis is private to the run (its own processes and loopback ports, no persistence),
//! and every app instance runs on a tokio runtime of its own with one worker per core, as a
//! process of its own would. On a 2-core machine three instances and three shards share those
//! same two cores with the load generator, so the ratios show what the extra hops and the
//! scheduling cost, not what scale-out gains on more machines. Figures are ratios against
//! case (a) measured in the same run, or CPU time per operation, read per thread and per Redis
//! process from `/proc` (`support::cpu`), which is what a per-core model needs.
//!
//! 1. HTTP holds: `CONCURRENCY` clients, each its own session on instance `i % n`; an
//!    operation is a hold of one seat of a random one of `SHOWTIMES` showtimes and its
//!    release, each client its own seat (all-or-nothing holds, as in `load.rs`). Closed loop,
//!    `ROUNDS` rounds, each running the four cases back to back (a case's ratio to (a) is the
//!    median of its rounds' ratios); then hold latencies in an open loop at one rate for all
//!    four (half of (a)'s), measured from each scheduled send time.
//! 2. The Lua-only ceiling on each Redis: the same operations through the hold engine.
//! 3. The hot spot: one showtime (one slot, so one shard), hold + release with 0, 4 and 16
//!    instances' subscriptions on its channel, holds refused because the seat is taken, and
//!    seat map snapshots.
//! 4. The live feed: the server's CPU per delta delivered, `SOCKETS` sockets on one showtime.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

// The parts, in `benches/cluster/` (a bench's root file looks for modules beside itself, where
// Cargo would take each file for a bench of its own).
#[path = "cluster/hot_spot.rs"]
mod hot_spot;
#[path = "cluster/http.rs"]
mod http;
#[path = "cluster/live_feed.rs"]
mod live_feed;

use marquee::server::booking::holds::HoldAttempt;
use marquee::server::booking::showtimes::ShowtimeInfo;
use rand::seq::IndexedRandom;
use support::instance::Instance;
use support::redis_servers::RedisNodes;

const CONCURRENCY: usize = 32;
const SHOWTIMES: usize = 24;
const PHASE: Duration = Duration::from_secs(3);
const ROUNDS: usize = 5;
const CEILING_ROUNDS: usize = 3;
const SHORT_PHASE: Duration = Duration::from_secs(3);

/// The showtimes booked, with their seats (each has at least `CONCURRENCY`).
type Plan = Arc<Vec<Arc<ShowtimeInfo>>>;

/// One Redis (single or cluster) with three app instances on it.
struct Topology {
    name: &'static str,
    redis: RedisNodes,
    instances: Vec<Instance>,
}

/// Core-time spent, by whom, over a measured stretch.
#[derive(Clone, Copy)]
struct Cpu {
    app: Duration,
    generator: Duration,
    redis: Duration,
}

impl Cpu {
    /// App instances are the threads named `app-…`; everything else in this process is the
    /// load generator (clients, subscribers, the bench itself).
    fn read(redis: &[u32]) -> Self {
        let app = support::cpu::threads(|name| name.starts_with("app-"));
        let all = support::cpu::threads(|_| true);
        Self {
            app,
            generator: all.saturating_sub(app),
            redis: redis.iter().map(|&pid| support::cpu::process(pid)).sum(),
        }
    }

    fn since(self, before: Self) -> Self {
        Self {
            app: self.app.saturating_sub(before.app),
            generator: self.generator.saturating_sub(before.generator),
            redis: self.redis.saturating_sub(before.redis),
        }
    }
}

/// Operations done in a stretch of wall time, and the CPU they took.
#[derive(Clone, Copy)]
struct Run {
    ops: usize,
    wall: Duration,
    cpu: Cpu,
}

impl Run {
    /// Several runs as one: their operations, wall time and CPU added up.
    fn pooled(runs: &[Run]) -> Run {
        let sum = |f: fn(&Run) -> Duration| runs.iter().map(f).sum();
        Run {
            ops: runs.iter().map(|r| r.ops).sum(),
            wall: sum(|r| r.wall),
            cpu: Cpu {
                app: sum(|r| r.cpu.app),
                generator: sum(|r| r.cpu.generator),
                redis: sum(|r| r.cpu.redis),
            },
        }
    }

    fn rate(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64()
    }

    /// Microseconds of one core per operation.
    fn us(&self, spent: Duration) -> f64 {
        spent.as_secs_f64() * 1e6 / self.ops.max(1) as f64
    }

    /// Cores kept busy on average.
    fn cores(&self, spent: Duration) -> f64 {
        spent.as_secs_f64() / self.wall.as_secs_f64()
    }
}

async fn measured(redis: &[u32], work: impl Future<Output = usize>) -> Run {
    let before = Cpu::read(redis);
    let start = Instant::now();
    let ops = work.await;
    let wall = start.elapsed();
    Run {
        ops,
        wall,
        cpu: Cpu::read(redis).since(before),
    }
}

#[tokio::main]
async fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start_load = load_average();
    let database = support::BenchDatabase::create("cluster").await;
    let settings = |redis: (&str, &str)| {
        database.settings(&[
            redis,
            ("DATABASE_MAX_CONNECTIONS", "4"),
            ("SHUTDOWN_GRACE_SECS", "2"),
            // The fan-out part opens all its sockets from this one address.
            ("WS_MAX_PER_IP", "2000"),
            ("LIVE_BUFFER", "1024"),
        ])
    };
    let mut topologies = Vec::new();
    for (name, tag) in [("single Redis", "s"), ("3-shard cluster", "c")] {
        let (redis, variable) = if tag == "s" {
            (RedisNodes::single("bench-single"), "REDIS_URL")
        } else {
            (
                RedisNodes::cluster("bench-cluster", 3),
                "REDIS_CLUSTER_NODES",
            )
        };
        let address = if tag == "s" {
            redis.url()
        } else {
            redis.seeds()
        };
        let mut instances = Vec::new();
        for i in 0..3 {
            let settings = settings((variable, address.as_str()));
            instances.push(Instance::start(&format!("app-{tag}{i}"), settings).await);
        }
        topologies.push(Topology {
            name,
            redis,
            instances,
        });
    }

    let db = topologies[0].instances[0].state.db.clone();
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT s.id FROM showtimes s JOIN auditoriums a ON a.id = s.auditorium_id
          WHERE s.starts_at > now() + interval '1 hour' AND a.name IN ('Grand Hall', 'Studio 2')
          ORDER BY s.starts_at LIMIT $1",
    )
    .bind((SHOWTIMES + 2) as i64)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        ids.len(),
        SHOWTIMES + 2,
        "the demo catalog has enough showtimes"
    );
    let cache = &topologies[0].instances[0].state.showtimes;
    let mut infos = Vec::new();
    for &id in &ids {
        infos.push(cache.get(&db, id).await.unwrap());
    }
    let (fan_out_showtime, hot_showtime) = (infos.pop().unwrap(), infos.pop().unwrap());
    let plan: Plan = Arc::new(infos);

    let cluster = &topologies[1];
    let mut per_shard = std::collections::BTreeMap::<u16, usize>::new();
    for info in plan.iter() {
        let key = cluster.instances[0].state.holds.keys(info.id).sold();
        *per_shard.entry(cluster.redis.owner(&key)).or_default() += 1;
    }
    println!("Marquee scale-out on one machine ({cores} cores)");
    println!();
    println!(
        "{SHOWTIMES} showtimes, {CONCURRENCY} clients; on the cluster the showtimes' slots fall on the shards as {:?}",
        per_shard.values().collect::<Vec<_>>()
    );

    http::warm_up(&topologies, &plan).await;
    http::section(&topologies, &plan).await;
    http::ceiling_section(&topologies, &plan).await;
    hot_spot::section(&topologies, &hot_showtime).await;
    live_feed::section(&topologies[0], &fan_out_showtime).await;

    println!();
    println!(
        "Machine load average (1 min) at the start {start_load}, at the end {}: other work shares these cores.",
        load_average()
    );
    for topology in topologies {
        for instance in topology.instances {
            instance.stop().await;
        }
        drop(topology.redis);
    }
    database.drop().await;
}

/// The four cases: (label, topology, instances).
const CASES: [(&str, usize, usize); 4] = [
    ("(a) 1 instance, single Redis", 0, 1),
    ("(b) 1 instance, 3-shard cluster", 1, 1),
    ("(c) 3 instances, single Redis", 0, 3),
    ("(d) 3 instances, 3-shard cluster", 1, 3),
];

/// A session id for engine calls; `kind` tells the workers' sessions from the blockers'.
fn session(kind: u64, worker: usize) -> String {
    format!("{:016x}{:016x}", kind, worker)
}

/// hold + release pairs through the engine of `instance`, run on its own runtime.
async fn engine_pairs(instance: &Instance, plan: Plan, phase: Duration) -> usize {
    let deadline = Instant::now() + phase;
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (state, plan) = (instance.state.clone(), plan.clone());
        tasks.push(instance.runtime.spawn(async move {
            let session = session(0xce11, worker);
            let mut done = 0;
            while Instant::now() < deadline {
                let info = plan.choose(&mut rand::rng()).unwrap().clone();
                let seat = [info.seat_ids[worker]];
                let held = state.holds.hold(&state.db, &info, &session, "bench", &seat);
                assert!(matches!(held.await, Ok(HoldAttempt::Held(_))));
                state
                    .holds
                    .release(&info, &session, "bench", Some(&seat))
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

/// The 1-minute load average: how busy the machine was with other work too.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}
