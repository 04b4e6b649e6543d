//! Part 1 and 2 of the cluster bench: holds over HTTP in the four cases, and the Lua-only
//! ceiling of each Redis.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::seq::IndexedRandom;
use serde_json::{Value, json};

use super::support::instance::Instance;
use super::support::measure::{http_client, ms, percentile};
use super::{
    CASES, CEILING_ROUNDS, CONCURRENCY, PHASE, Plan, ROUNDS, Run, SHORT_PHASE, Topology,
    engine_pairs, measured,
};

/// Each instance loads the showtimes into its cache, each Redis its sold-seat caches, before
/// anything is timed.
pub async fn warm_up(topologies: &[Topology], plan: &Plan) {
    for topology in topologies {
        for instance in &topology.instances {
            let client = http_client();
            for info in plan.iter() {
                hold_and_release(&client, &instance.base(), info.id, info.seat_ids[0]).await;
            }
        }
    }
}

pub async fn section(topologies: &[Topology], plan: &Plan) {
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

pub async fn ceiling_section(topologies: &[Topology], plan: &Plan) {
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
            let client = http_client();
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
        give.send((worker, http_client(), base)).await.unwrap();
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
