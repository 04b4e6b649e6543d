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
//!    instances' subscriptions on its channel, and holds refused because the seat is taken.
//! 4. The live feed: the server's CPU per delta delivered, `SOCKETS` sockets on one showtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod support;

use futures::StreamExt;
use marquee::app::error::AppError;
use marquee::server::booking::holds::HoldAttempt;
use marquee::server::booking::showtimes::ShowtimeInfo;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};
use support::instance::Instance;
use support::redis_servers::RedisNodes;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const CONCURRENCY: usize = 32;
const SHOWTIMES: usize = 24;
const PHASE: Duration = Duration::from_secs(3);
const ROUNDS: usize = 5;
const CEILING_ROUNDS: usize = 3;
const SHORT_PHASE: Duration = Duration::from_secs(3);
const SUBSCRIBERS: [usize; 3] = [0, 4, 16];
const SOCKETS: usize = 1_000;
const CHANGES: usize = 300;
const CHANGES_PER_SEC: u64 = 100;

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

    // Warm up: each instance loads the showtimes, each Redis its sold-seat caches.
    for topology in &topologies {
        for instance in &topology.instances {
            let client = client();
            for info in plan.iter() {
                hold_and_release(&client, &instance.base(), info.id, info.seat_ids[0]).await;
            }
        }
    }

    http_section(&topologies, &plan).await;
    ceiling_section(&topologies, &plan).await;
    hot_spot_section(&topologies, &hot_showtime).await;
    fan_out_section(&topologies[0], &fan_out_showtime).await;

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

async fn http_section(topologies: &[Topology], plan: &Plan) {
    let bases = |topology: usize, n: usize| -> Vec<String> {
        topologies[topology].instances[..n]
            .iter()
            .map(Instance::base)
            .collect()
    };
    // rounds[case][round]; a round runs the four cases back to back, so a case's ratio to (a)
    // in the same round is taken under about the same outside load.
    let mut rounds: Vec<Vec<Run>> = vec![Vec::new(); CASES.len()];
    for _ in 0..ROUNDS {
        for (case, &(_, topology, n)) in CASES.iter().enumerate() {
            let pids = topologies[topology].redis.pids();
            let run = measured(&pids, http_closed(&bases(topology, n), plan)).await;
            rounds[case].push(run);
        }
    }
    let pooled: Vec<Run> = rounds.iter().map(|runs| Run::pooled(runs)).collect();
    let rate = pooled[0].rate() * 0.5;
    let efficiency = |run: &Run| 1e6 / (run.us(run.cpu.app) + run.us(run.cpu.redis));
    println!();
    println!(
        "HTTP: hold + release of one seat on a random showtime, closed loop, {ROUNDS} rounds of {}s: holds/s",
        PHASE.as_secs()
    );
    println!(
        "over all rounds, vs (a) the median of each round's ratio. Latencies of holds in an open loop at"
    );
    println!(
        "{rate:.0} holds/s for every case (half of (a)), from the scheduled send time. CPU: cores kept busy by"
    );
    println!(
        "the app instances / Redis / the load generator; µs of a core per op; ops per core-second of app + Redis."
    );
    println!();
    println!(
        "| case | holds/s | vs (a) | p50 / p99 at {rate:.0}/s | cores app / Redis / load | app µs/op | Redis µs/op | ops per app+Redis core-s | vs (a) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (case, &(label, topology, n)) in CASES.iter().enumerate() {
        let latencies = http_open(&bases(topology, n), plan, rate).await;
        let run = pooled[case];
        let mut ratios: Vec<f64> = (0..ROUNDS)
            .map(|r| rounds[case][r].rate() / rounds[0][r].rate())
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "| {label} | {:.0} | {:.2} | {:.1} / {:.1} ms | {:.2} / {:.2} / {:.2} | {:.0} | {:.0} | {:.0} | {:.2} |",
            run.rate(),
            ratios[ratios.len() / 2],
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.99)),
            run.cores(run.cpu.app),
            run.cores(run.cpu.redis),
            run.cores(run.cpu.generator),
            run.us(run.cpu.app),
            run.us(run.cpu.redis),
            efficiency(&run),
            efficiency(&run) / efficiency(&pooled[0]),
        );
    }
}

async fn ceiling_section(topologies: &[Topology], plan: &Plan) {
    println!();
    println!(
        "Lua-only ceiling: the same operations through the hold engine of one instance (no HTTP), closed loop,"
    );
    println!("{CEILING_ROUNDS} rounds of {}s.", SHORT_PHASE.as_secs());
    println!();
    println!("| Redis | ops/s | vs single | cores app / Redis | app µs/op | Redis µs/op |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut baseline = None;
    for topology in topologies {
        let instance = &topology.instances[0];
        let pids = topology.redis.pids();
        let mut runs = Vec::new();
        for _ in 0..CEILING_ROUNDS {
            runs.push(measured(&pids, engine_pairs(instance, plan.clone(), SHORT_PHASE)).await);
        }
        let run = Run::pooled(&runs);
        let base = *baseline.get_or_insert(run.rate());
        println!(
            "| {} | {:.0} | {:.2} | {:.2} / {:.2} | {:.0} | {:.0} |",
            topology.name,
            run.rate(),
            run.rate() / base,
            run.cores(run.cpu.app),
            run.cores(run.cpu.redis),
            run.us(run.cpu.app),
            run.us(run.cpu.redis),
        );
    }
}

/// One showtime: all its keys are in one slot, so on either topology one Redis process (one
/// core) does all its work; only that process's CPU is counted.
async fn hot_spot_section(topologies: &[Topology], hot: &Arc<ShowtimeInfo>) {
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

/// The live feed: `SOCKETS` sockets on one showtime of one instance, `CHANGES` seat changes
/// at `CHANGES_PER_SEC`; the app's CPU per delta delivered.
async fn fan_out_section(topology: &Topology, showtime: &Arc<ShowtimeInfo>) {
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

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(1)
        .build()
        .unwrap()
}

async fn post(client: &reqwest::Client, base: &str, endpoint: &str, body: &Value) -> u16 {
    match client
        .post(format!("{base}/api/{endpoint}"))
        .json(body)
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let _ = response.bytes().await;
            status
        }
        Err(_) => 0,
    }
}

/// One operation over HTTP; returns how long the hold took.
async fn hold_and_release(
    client: &reqwest::Client,
    base: &str,
    showtime: i64,
    seat: i64,
) -> Duration {
    let body = json!({"showtime_id": showtime, "seat_ids": [seat]});
    let start = Instant::now();
    assert_eq!(post(client, base, "hold_seats", &body).await, 200, "hold");
    let took = start.elapsed();
    assert_eq!(
        post(client, base, "release_seats", &body).await,
        200,
        "release"
    );
    took
}

/// A random showtime of the plan, and this worker's seat in it.
fn pick(plan: &Plan, worker: usize) -> (i64, i64) {
    let info = plan.choose(&mut rand::rng()).unwrap();
    (info.id, info.seat_ids[worker])
}

/// Operations per run, closed loop, client `i` on instance `i % n`.
async fn http_closed(bases: &[String], plan: &Plan) -> usize {
    let deadline = Instant::now() + PHASE;
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (base, plan) = (bases[worker % bases.len()].clone(), plan.clone());
        tasks.push(tokio::spawn(async move {
            let client = client();
            let mut done = 0;
            while Instant::now() < deadline {
                let (showtime, seat) = pick(&plan, worker);
                hold_and_release(&client, &base, showtime, seat).await;
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

/// Hold latencies at a fixed arrival rate, from each scheduled send time: an arrival takes
/// an idle client (and waits for one if none is, which counts), so a slow server shows.
async fn http_open(bases: &[String], plan: &Plan, rate: f64) -> Vec<Duration> {
    let (give, take) = tokio::sync::mpsc::channel(CONCURRENCY);
    for worker in 0..CONCURRENCY {
        let base = bases[worker % bases.len()].clone();
        give.send((worker, client(), base)).await.unwrap();
    }
    let take = Arc::new(tokio::sync::Mutex::new(take));
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..(rate * PHASE.as_secs_f64()) as usize {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        let (give, take, plan) = (give.clone(), take.clone(), plan.clone());
        tasks.push(tokio::spawn(async move {
            let (worker, client, base) = take.lock().await.recv().await.unwrap();
            let (showtime, seat) = pick(&plan, worker);
            let body = json!({"showtime_id": showtime, "seat_ids": [seat]});
            assert_eq!(post(&client, &base, "hold_seats", &body).await, 200);
            let latency = scheduled.elapsed();
            assert_eq!(post(&client, &base, "release_seats", &body).await, 200);
            give.send((worker, client, base)).await.unwrap();
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The 1-minute load average: how busy the machine was with other work too.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
