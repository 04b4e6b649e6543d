//! Hold designs side by side: three peers' ways of holding seats and Marquee's, each a small
//! implementation behind the same minimal axum router (`server.rs`) in one process, one tokio
//! runtime, one run; plus Marquee's real `/api/hold_seats` of the full app as a reference.
//! Run with `make bench-designs`.
//!
//! 1. Postgres row locks (alf.io): `SELECT … FOR UPDATE SKIP LOCKED` on per-seat rows.
//! 2. Postgres upsert (Revel): `INSERT … ON CONFLICT DO UPDATE … WHERE expired`.
//! 3. One Redis lock per event around Postgres work (pretix, older releases).
//! 4. Marquee: the `HoldEngine`'s Lua scripts on Redis.
//!
//! For each: hold + release pairs per second in a closed loop at 1, 8, 32 and 128 workers
//! (each its own visitor and seat); hold latency in an open loop at 80% of that design's own
//! closed-loop rate, from the scheduled send time (queueing counted, as in `load.rs`); and a
//! flash sale of the Grand Hall (352 seats) to 2,000 buyers, with the oversold check asserted.
//! Phases are interleaved (every design at one level, then the next level) so that drift in
//! the machine's state over the run touches all of them alike. Everything, Postgres and Redis
//! included, shares this machine's cores: ratios measured in the same run are the figures.

use std::sync::Arc;
use std::time::Duration;

#[path = "../support/mod.rs"]
mod support;

mod drive;
mod engine;
mod pg_skip_locked;
mod pg_upsert;
mod redis_lock;
mod server;

use drive::{Sale, Target};
use engine::Engine;
use marquee::server::{AppState, Application};
use pg_skip_locked::PgSkipLocked;
use pg_upsert::PgUpsert;
use redis_lock::RedisLock;
use server::Design;
use support::measure::{ms, percentile};

const LEVELS: [usize; 4] = [1, 8, 32, 128];
const PHASE: Duration = Duration::from_secs(5);
const OPEN_SHARE: f64 = 0.8;
/// One more open loop at one rate for all, below every design's closed-loop rate, so that
/// latencies are also compared at equal load (each design's 80% is a different load).
const COMMON_RATE: f64 = 500.0;
const COMMON_LEVEL: usize = 32;
const BUYERS: usize = 2_000;
/// Every design's Postgres pool, as `load.rs` sizes the app's (`DATABASE_MAX_CONNECTIONS`).
const POOL: u32 = 20;
/// The column the ratios are taken against.
const MARQUEE: usize = 3;

/// One target's figures.
#[derive(Default)]
struct Figures {
    /// Per level: pairs per second, closed loop.
    closed: Vec<f64>,
    /// Per level: the open loop's rate and its hold latencies, sorted.
    open_rate: Vec<f64>,
    open: Vec<Vec<Duration>>,
    /// Hold latencies at `COMMON_RATE`, sorted.
    common: Vec<Duration>,
    /// Answers other than 200 in the closed and open loops.
    failed: usize,
    sale: Option<Sale>,
}

#[tokio::main]
async fn main() {
    let database = support::BenchDatabase::create("designs").await;
    let settings = database.settings(&[("DATABASE_MAX_CONNECTIONS", "20")]);
    let redis_url = settings.redis_url.clone();
    let app = Application::build(settings).await.expect("app builds");
    let api = format!("http://{}/api", app.address());
    let state = app.state().clone();
    // The peers have no rule that companion seats go only with a wheelchair space; without
    // lifting it, a buyer of the full app who drew a companion seat alone could hold it but
    // never buy it. Done before anything reads (and caches) a showtime.
    sqlx::query("UPDATE theaters SET companion_needs_wheelchair = false")
        .execute(&state.db)
        .await
        .unwrap();
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(POOL)
        .acquire_timeout(Duration::from_secs(3))
        .connect(&database.url)
        .await
        .unwrap();
    let prefix = format!("bench-designs-{}", std::process::id());
    let skip_locked = PgSkipLocked::create(pool.clone()).await.unwrap();
    let upsert = PgUpsert::create(pool.clone()).await.unwrap();
    let redis_lock = RedisLock::create(pool.clone(), &redis_url, prefix)
        .await
        .unwrap();
    let engine = Engine {
        state: state.clone(),
    };

    // Two Grand Hall showtimes per target, one for the hold phases and one for its sale, so
    // that no target sees another's holds; all have the same 352 seat ids.
    let mut showtimes = Vec::new();
    for nth in 0..10 {
        let id = support::BenchDatabase::showtime_in(&state.db, "Grand Hall", nth).await;
        let info = state.showtimes.get(&state.db, id).await.unwrap();
        assert!(
            !info.companion_needs_wheelchair,
            "the rule was lifted first"
        );
        showtimes.push((id, info.seat_ids.clone()));
    }
    let seats = Arc::new(showtimes[0].1.clone());
    assert_eq!(seats.len(), 352);
    assert!(showtimes.iter().all(|(_, s)| *s == *seats), "one seat plan");
    let plan = |i: usize| (showtimes[2 * i].0, showtimes[2 * i + 1].0);

    for (i, (hold, sale)) in (0..3).map(plan).enumerate() {
        for showtime in [hold, sale] {
            let prepared = match i {
                0 => skip_locked.prepare(showtime, &seats).await,
                1 => upsert.prepare(showtime, &seats).await,
                _ => redis_lock.prepare(showtime, &seats).await,
            };
            prepared.unwrap();
        }
    }
    let targets = [
        target("PG row locks (alf.io)", server::serve(skip_locked).await),
        target("PG upsert (Revel)", server::serve(upsert).await),
        target("Redis lock + PG (pretix)", server::serve(redis_lock).await),
        target("Marquee engine", server::serve(engine).await),
        Target {
            name: "Marquee /api (full app)",
            base: api,
            full_app: true,
        },
    ];

    println!(
        "Marquee hold designs side by side ({} cores; the app, the load, Postgres and Redis share them)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    let mut figures: Vec<Figures> = targets.iter().map(|_| Figures::default()).collect();
    for &level in &LEVELS {
        for (i, t) in targets.iter().enumerate() {
            let (showtime, _) = plan(i);
            let (rate, failed) = drive::closed(t, showtime, &seats, level, PHASE).await;
            let open_rate = (rate * OPEN_SHARE).max(1.0);
            let (latencies, open_failed) =
                drive::open(t, showtime, &seats, level, open_rate, PHASE).await;
            println!(
                "{level:>3} workers  {:<24} {rate:>7.0} pairs/s  open at {open_rate:>6.0}/s: \
                 p50 {:>7.2} ms  p99 {:>8.2} ms  non-200: {}",
                t.name,
                ms(percentile(&latencies, 0.50)),
                ms(percentile(&latencies, 0.99)),
                failed + open_failed,
            );
            let f = &mut figures[i];
            f.closed.push(rate);
            f.open_rate.push(open_rate);
            f.open.push(latencies);
            f.failed += failed + open_failed;
        }
    }
    for (i, t) in targets.iter().enumerate() {
        let (showtime, _) = plan(i);
        let (level, rate) = (COMMON_LEVEL, COMMON_RATE);
        let (latencies, failed) = drive::open(t, showtime, &seats, level, rate, PHASE).await;
        println!(
            "{level:>3} workers  {:<24} open at {rate:>6.0}/s: p50 {:>7.2} ms  p99 {:>8.2} ms  \
             non-200: {failed}",
            t.name,
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.99)),
        );
        figures[i].common = latencies;
        figures[i].failed += failed;
    }
    println!();
    for (i, t) in targets.iter().enumerate() {
        let (_, showtime) = plan(i);
        let sale = drive::flash_sale(t, showtime, &seats, BUYERS).await;
        let (rows, distinct) = audit(t, &state, showtime).await;
        println!(
            "flash sale  {:<24} sold out in {:.2} s, {} seats to {} buyers; hold p99 {:.1} ms; \
             map p99 {:.1} ms; 409: {}, other non-200: {}; sold rows {rows}, distinct seats \
             {distinct}",
            t.name,
            sale.elapsed.as_secs_f64(),
            sale.bought,
            sale.buyers_served,
            ms(percentile(&sale.holds, 0.99)),
            ms(percentile(&sale.maps, 0.99)),
            sale.conflicts,
            sale.other,
        );
        assert_eq!(rows, distinct, "{}: a seat was sold twice", t.name);
        assert_eq!(
            sale.bought as i64, rows,
            "{}: buyers were sold more than the store holds",
            t.name
        );
        assert_eq!(
            rows as usize,
            seats.len(),
            "{}: the showtime sold out",
            t.name
        );
        figures[i].sale = Some(sale);
    }

    full_app_errors(&targets[4].base).await;
    print_table(&targets, &figures);
    drop(state);
    database.drop().await;
}

/// The full app's own count of what it answered other than `ok`, and of its store errors,
/// from its `/metrics` (served to loopback): why it refused, when it did.
async fn full_app_errors(api: &str) {
    let url = format!("{}/metrics", api.trim_end_matches("/api"));
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    let counters = ["purchases_total", "holds_total", "postgres_errors_total"];
    for line in text.lines() {
        let counted = counters
            .iter()
            .any(|c| line.starts_with(&format!("marquee_{c}")));
        if counted && !line.contains("outcome=\"ok\"") {
            println!("full app /metrics: {line}");
        }
    }
}

fn target(name: &'static str, base: String) -> Target {
    Target {
        name,
        base,
        full_app: false,
    }
}

/// Sold rows and distinct sold seats, from the target's own store. For the full app: its
/// tickets in Postgres, checked against the engine's sold set in Redis.
async fn audit(t: &Target, state: &AppState, showtime: i64) -> (i64, i64) {
    if !t.full_app {
        let url = format!("{}/audit?showtime_id={showtime}", t.base);
        let answer: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        return (
            answer["rows"].as_i64().unwrap(),
            answer["distinct"].as_i64().unwrap(),
        );
    }
    let (tickets, distinct): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT seat_id) FROM tickets WHERE showtime_id = $1",
    )
    .bind(showtime)
    .fetch_one(&state.db)
    .await
    .unwrap();
    let mut redis = state.redis.clone();
    let redis_sold: i64 = redis::cmd("SCARD")
        .arg(state.holds.keys(showtime).sold())
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(
        redis_sold, distinct,
        "Redis and Postgres agree on what is sold"
    );
    (tickets, distinct)
}

/// How a row's figures are written.
#[derive(Clone, Copy)]
enum Unit {
    Count,
    Ms,
    Secs,
}

/// One Markdown table: a row per figure, a column per target, each cell with its ratio to
/// Marquee's design measured in the same run.
fn print_table(targets: &[Target], figures: &[Figures]) {
    let of = |f: &dyn Fn(&Figures) -> f64| figures.iter().map(f).collect::<Vec<f64>>();
    let sale = |f: &dyn Fn(&Sale) -> f64| of(&|x| f(x.sale.as_ref().unwrap()));
    let p = |l: &[Duration], q| ms(percentile(l, q));
    let mut rows: Vec<(String, Vec<f64>, Unit)> = Vec::new();
    let mut row = |label: String, values, unit| rows.push((label, values, unit));
    for (l, &level) in LEVELS.iter().enumerate() {
        let n = if level == 1 {
            "1 worker".into()
        } else {
            format!("{level} workers")
        };
        row(
            format!("holds/s, {n} (closed loop)"),
            of(&|f| f.closed[l]),
            Unit::Count,
        );
        let rate = of(&|f| f.open_rate[l]);
        row(
            format!("open-loop rate (80% of the above), {n}"),
            rate,
            Unit::Count,
        );
        for (name, q) in [("p50", 0.50), ("p99", 0.99)] {
            let latency = of(&|f| p(&f.open[l], q));
            row(format!("open-loop hold {name}, {n}"), latency, Unit::Ms);
        }
    }
    for (name, q) in [("p50", 0.50), ("p99", 0.99)] {
        let label =
            format!("open-loop hold {name} at {COMMON_RATE}/s for all, {COMMON_LEVEL} workers");
        row(label, of(&|f| p(&f.common, q)), Unit::Ms);
    }
    let label = |text: &str| format!("flash sale: {text}");
    row(
        label("time to sell out"),
        sale(&|s| s.elapsed.as_secs_f64()),
        Unit::Secs,
    );
    row(label("hold p99"), sale(&|s| p(&s.holds, 0.99)), Unit::Ms);
    row(label("seat map p99"), sale(&|s| p(&s.maps, 0.99)), Unit::Ms);
    row(
        label("409 seat_taken"),
        sale(&|s| s.conflicts as f64),
        Unit::Count,
    );
    row(
        label("other non-200 (503, errors)"),
        sale(&|s| s.other as f64),
        Unit::Count,
    );
    row(
        label("buyers served"),
        sale(&|s| s.buyers_served as f64),
        Unit::Count,
    );
    let failed = of(&|f| f.failed as f64);
    row(
        "non-200 answers, closed + open loops".into(),
        failed,
        Unit::Count,
    );

    println!();
    let names: Vec<&str> = targets.iter().map(|t| t.name).collect();
    println!("| figure | {} |", names.join(" | "));
    println!("|---|{}", "---:|".repeat(names.len()));
    for (label, values, unit) in rows {
        let marquee = values[MARQUEE];
        let cells: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let value = match unit {
                    Unit::Count => format!("{v:.0}"),
                    Unit::Ms => format!("{v:.2} ms"),
                    Unit::Secs => format!("{v:.2} s"),
                };
                if i == MARQUEE || marquee == 0.0 {
                    value
                } else {
                    format!("{value} ({:.2}×)", v / marquee)
                }
            })
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
    // Every target got here only through the asserts after its sale.
    let zeros = vec!["0"; names.len()].join(" | ");
    println!(
        "| oversold (asserted: sold rows = distinct seats = seats confirmed = 352) | {zeros} |"
    );
    println!();
    for line in [
        "(n×) = the figure ÷ Marquee engine's, same run: above 1 is better for holds/s, worse for",
        "latencies and times. holds/s = hold + release pairs of one seat per second, each worker",
        "its own session and seat. Open loop: holds sent on a schedule at 80% of that column's own",
        "closed-loop rate for the same workers (and at 500/s for all), latency from the scheduled",
        "send time. Flash sale: 2,000 buyers, 352 seats; each reads the seat map, holds 1-4 random",
        "free seats and confirms them. The sold step is each design's own: one Postgres transaction",
        "(pretix's under the lock); Marquee engine: the checkout script then mark_sold (no order in",
        "Postgres); full app: the real /api/purchase (order, test payment, tickets), with the",
        "companion-seat rule lifted.",
    ] {
        println!("{line}");
    }
}
