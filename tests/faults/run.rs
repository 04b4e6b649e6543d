//! Running one seeded scenario: fresh database and Redis, two app instances, buyers racing,
//! the fault, recovery, then the checker.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use super::buyers::{self, BuyerLog, Sale};
use super::checker::{self, Anomaly, Answer, Facts, LineMember, RedisLoss, Violation};
use super::observe;
use super::scenario::{Fault, Plan, Room};
use super::services::{self, App, Postgres, Redis, StopMode, Workdir};

const TEMPLATE: &str = "faults_template";
/// Recovery must be done within this long after the sale (the reconciler runs every
/// `RECONCILE_INTERVAL_MS` and takes payments older than `PAYMENT_STALE_SECS`).
const RECOVERY: Duration = Duration::from_secs(15);
/// Settings of the reconciler in scenarios: fast, so that a scenario takes seconds.
const RECONCILE_INTERVAL_MS: u64 = 200;
const PAYMENT_STALE_SECS: u64 = 1;
/// Buyers retry until this long after the sale starts (plus a SIGSTOP's length): past the
/// longest recovery a scenario plans for (a kill at the reconciler's failpoint: two deaths,
/// two restarts, a stale payment). An answer still open then is left `Unknown`.
const BUYER_DEADLINE: Duration = Duration::from_secs(7);
/// Offers outlast a scenario, so whoever was served still holds the offer when checked.
const OFFER_TTL_SECS: u64 = 30;

/// What a whole run shares: the Postgres cluster with a migrated template database, and
/// which showtime of which room scenarios use.
pub struct Harness {
    /// Declared before the directory it lives in: fields drop in order, and the cluster must
    /// stop before its directory goes.
    pub postgres: Arc<Mutex<Postgres>>,
    pub workdir: Workdir,
    /// The server binary, copied at the start of the run.
    binary: PathBuf,
    pg_port: u16,
    rooms: BTreeMap<&'static str, (i64, Vec<i64>)>,
}

/// Where the logs of scenarios with violations are kept (emptied at the start of a run).
pub fn keep_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("faults")
}

impl Harness {
    /// A lane: its own Postgres cluster with a migrated template; `binary` is the server
    /// binary to run (a copy shared by every lane).
    pub async fn start(binary: PathBuf) -> Result<Self, String> {
        let workdir = Workdir::new("run").map_err(|e| e.to_string())?;
        let postgres = tokio::task::block_in_place(|| Postgres::init(&workdir.path))
            .map_err(|e| format!("private Postgres: {e}"))?;
        let pg_port = postgres.port;
        let mut admin = PgConnection::connect(&postgres.url("postgres"))
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {TEMPLATE}")))
            .execute(&mut admin)
            .await
            .map_err(|e| e.to_string())?;
        // The same migrations and demo catalog the binary applies on start, applied once:
        // every scenario's database is a copy of this one.
        let template = PgPool::connect(&postgres.url(TEMPLATE))
            .await
            .map_err(|e| e.to_string())?;
        marquee::server::db::migrate(&template)
            .await
            .map_err(|e| format!("migrate: {e}"))?;
        marquee::server::catalog::demo::ensure(&template)
            .await
            .map_err(|e| format!("demo catalog: {e}"))?;
        let mut rooms = BTreeMap::new();
        for room in [Room::Small, Room::Large] {
            // The last showtime of the week: it cannot start during a run.
            let showtime: i64 = sqlx::query_scalar(
                "SELECT s.id FROM showtimes s JOIN auditoriums a ON a.id = s.auditorium_id
                  WHERE a.name = $1 ORDER BY s.starts_at DESC LIMIT 1",
            )
            .bind(room.auditorium())
            .fetch_one(&template)
            .await
            .map_err(|e| e.to_string())?;
            let seats: Vec<i64> = sqlx::query_scalar(
                // Ordinary seats: a companion seat alone is refused by design (it is sold
                // with a wheelchair space), which is no fault to inject.
                "SELECT se.id FROM seats se JOIN showtimes s ON s.auditorium_id = se.auditorium_id
                  WHERE s.id = $1 AND se.kind IN ('standard', 'premium')
                  ORDER BY se.grid_row, se.grid_col",
            )
            .bind(showtime)
            .fetch_all(&template)
            .await
            .map_err(|e| e.to_string())?;
            rooms.insert(room.auditorium(), (showtime, seats));
        }
        template.close().await;
        Ok(Self {
            postgres: Arc::new(Mutex::new(postgres)),
            workdir,
            binary,
            pg_port,
            rooms,
        })
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.pg_port)
    }

    /// A connection to the maintenance database, retried while Postgres comes back.
    async fn admin(&self) -> Result<PgConnection, String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match PgConnection::connect(&self.url("postgres")).await {
                Ok(connection) => return Ok(connection),
                Err(error) if Instant::now() > deadline => return Err(error.to_string()),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

/// What one scenario found.
pub struct Outcome {
    pub plan: Plan,
    pub violations: Vec<Violation>,
    /// The fault happened (a failpoint was reached, the signal sent, ...).
    pub fired: bool,
    pub elapsed: Duration,
    pub summary: String,
}

/// The services of one scenario, shared by the fault and the orchestration.
struct Services {
    postgres: Arc<Mutex<Postgres>>,
    redis: Mutex<Redis>,
    /// `[victim, healthy]`; an async lock, held while an instance starts.
    apps: [tokio::sync::Mutex<App>; 2],
    /// The fault happened (for failpoints: the victim died in every armed life).
    fired: AtomicBool,
    /// When Redis was killed, in ms from the start of the sale (0: not killed).
    redis_killed_at: AtomicU64,
    /// Deaths of an instance nobody asked for.
    crashes: Mutex<Vec<String>>,
    /// Something is down or frozen right now.
    disrupted: AtomicBool,
    /// The scenario has read its facts: the fault's watcher may stop.
    done: AtomicBool,
}

pub async fn scenario(harness: &Harness, seed: u64) -> Outcome {
    let began = Instant::now();
    let plan = Plan::new(seed);
    let dir = harness.workdir.path.join(format!("seed-{seed}"));
    let result = run(harness, &plan, &dir).await;
    let (mut violations, fired, summary) = match result {
        Ok(found) => found,
        Err(error) => (
            vec![Violation::Harness { error }],
            false,
            String::from("harness error"),
        ),
    };
    violations.dedup();
    if !violations.is_empty() {
        keep_logs(&dir, &keep_dir().join(format!("seed-{seed}")));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Outcome {
        plan,
        violations,
        fired,
        elapsed: began.elapsed(),
        summary,
    }
}

fn keep_logs(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to);
    for name in ["victim.log", "healthy.log", "redis/redis.log"] {
        services::keep(&from.join(name), &to.join(name.replace('/', "-")));
    }
}

async fn run(
    harness: &Harness,
    plan: &Plan,
    dir: &Path,
) -> Result<(Vec<Violation>, bool, String), String> {
    let (showtime, seats) = harness.rooms[plan.room.auditorium()].clone();
    let database = format!("faults_{}", plan.seed);
    let mut admin = harness.admin().await?;
    // Names built from a number: nothing from outside goes into the SQL.
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .map_err(|e| e.to_string())?;
    sqlx::query(AssertSqlSafe(format!(
        "CREATE DATABASE {database} TEMPLATE {TEMPLATE}"
    )))
    .execute(&mut admin)
    .await
    .map_err(|e| e.to_string())?;
    let redis = tokio::task::block_in_place(|| Redis::start(&dir.join("redis")))
        .map_err(|e| format!("private Redis: {e}"))?;
    let env = app_env(plan, &harness.url(&database), &redis.url(), dir);
    let services = Arc::new(Services {
        postgres: harness.postgres.clone(),
        redis: Mutex::new(redis),
        apps: [
            tokio::sync::Mutex::new(App::new(
                "victim",
                &harness.binary,
                env.clone(),
                dir.join("victim.log"),
            )),
            tokio::sync::Mutex::new(App::new(
                "healthy",
                &harness.binary,
                healthy_env(plan, env),
                dir.join("healthy.log"),
            )),
        ],
        fired: AtomicBool::new(false),
        redis_killed_at: AtomicU64::new(0),
        crashes: Mutex::new(Vec::new()),
        disrupted: AtomicBool::new(false),
        done: AtomicBool::new(false),
    });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| e.to_string())?;
    let failpoints: Vec<(&str, String)> = plan
        .lives
        .first()
        .map(|first| vec![("FAILPOINTS", first.clone())])
        .unwrap_or_default();
    let db = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(&harness.url(&database))
        .map_err(|e| e.to_string())?;

    let mut phases = Phases::new();
    let started = async {
        start_app(&services, 0, &failpoints, &http).await?;
        start_app(&services, 1, &[], &http).await
    }
    .await;
    phases.mark("setup");
    let start = Instant::now();
    // The fault runs to its end whatever happens here (it restarts what it broke), so the
    // next scenario of the lane finds its Postgres up.
    let fault = started
        .is_ok()
        .then(|| tokio::spawn(strike(plan.clone(), services.clone(), start)));
    let result = async {
        started?;
        let Some(fault) = &fault else {
            unreachable!("the fault runs once the instances started")
        };
        let instances = [
            services.apps[0].lock().await.address(),
            services.apps[1].lock().await.address(),
        ];
        let logs = sale(
            plan,
            &services,
            fault,
            start,
            showtime,
            seats,
            instances.clone(),
        )
        .await;
        phases.mark("sale");
        recover(plan, &services, &http).await?;
        settle(&db, &http, &instances, showtime).await;
        phases.mark("recovery");
        let facts = facts(plan, &services, &db, &http, &instances, showtime, &logs).await?;
        phases.mark("check");
        let mut violations = checker::check(&facts);
        violations.extend(
            services
                .crashes
                .lock()
                .unwrap()
                .iter()
                .map(|name| Violation::Crashed { name: name.clone() }),
        );
        Ok::<_, String>((
            violations,
            format!("{}; {}", summarize(&logs, &facts), phases),
        ))
    }
    .await;
    services.done.store(true, Ordering::SeqCst);
    if let Some(fault) = fault {
        let _ = fault.await;
    }
    // Whatever the outcome, the lane's Postgres must serve the next scenario.
    let _ = postgres_op(&services, Postgres::ensure_running).await;

    for app in &services.apps {
        app.lock().await.terminate().await;
    }
    db.close().await;
    services.redis.lock().unwrap().kill();
    let fired = services.fired.load(Ordering::SeqCst);
    let (violations, summary) = result?;
    if violations.is_empty() {
        let drop = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        if let Ok(mut admin) = harness.admin().await {
            let _ = sqlx::query(AssertSqlSafe(drop)).execute(&mut admin).await;
        }
    }
    Ok((violations, fired, summary))
}

/// How long each phase of a scenario took.
struct Phases {
    last: Instant,
    done: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn new() -> Self {
        Self {
            last: Instant::now(),
            done: Vec::new(),
        }
    }

    fn mark(&mut self, name: &'static str) {
        self.done.push((name, self.last.elapsed()));
        self.last = Instant::now();
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .done
            .iter()
            .map(|(name, took)| format!("{name} {:.1}", took.as_secs_f64()))
            .collect();
        write!(f, "{} s", parts.join(", "))
    }
}

/// Settings of both instances (the healthy one may differ, see [`healthy_env`]).
fn app_env(plan: &Plan, database_url: &str, redis_url: &str, dir: &Path) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", database_url.to_string()),
        ("DATABASE_MAX_CONNECTIONS", "5".into()),
        ("REDIS_URL", redis_url.to_string()),
        ("REDIS_KEY_PREFIX", format!("faults{}", plan.seed)),
        ("LEPTOS_SITE_ROOT", dir.display().to_string()),
        ("DEMO_CATALOG", "false".into()),
        ("RATE_LIMITS", "false".into()),
        ("MAX_SEATS_PER_IP", "100000".into()),
        ("HOLD_TTL_SECS", plan.hold_ttl_secs.to_string()),
        ("CHECKOUT_GRACE_SECS", plan.checkout_grace_secs.to_string()),
        ("OFFER_TTL_SECS", OFFER_TTL_SECS.to_string()),
        ("SWEEP_INTERVAL_MS", "100".into()),
        ("RECONCILE_INTERVAL_MS", RECONCILE_INTERVAL_MS.to_string()),
        ("PAYMENT_STALE_SECS", PAYMENT_STALE_SECS.to_string()),
        ("PAYMENT_TIMEOUT_MS", plan.payment_timeout_ms.to_string()),
        ("TEST_GATEWAY_DELAY_MS", plan.gateway_delay_ms.to_string()),
        ("SHUTDOWN_GRACE_SECS", "1".into()),
        ("REQUEST_TIMEOUT_SECS", "10".into()),
        ("RUST_LOG", "warn,marquee=info".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .chain(overrides())
    .collect()
}

/// `FAULT_APP_ENV='NAME=value;NAME=value'`: settings for both instances on top of the
/// scenario's, for experiments (e.g. `RECONCILE_INTERVAL_MS=600000` shows what the checker
/// says when nothing recovers).
fn overrides() -> Vec<(String, String)> {
    std::env::var("FAULT_APP_ENV")
        .unwrap_or_default()
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// When the failpoint is the reconciler's own, the victim must be the one reconciling: the
/// healthy instance's reconciler runs rarely.
fn healthy_env(plan: &Plan, mut env: Vec<(String, String)>) -> Vec<(String, String)> {
    if plan.fault == Fault::KillAt("reconcile::after_resolve") {
        env.push(("RECONCILE_INTERVAL_MS".into(), "60000".into()));
    }
    env
}

async fn start_app(
    services: &Services,
    index: usize,
    extra: &[(&str, String)],
    http: &reqwest::Client,
) -> Result<(), String> {
    let mut app = services.apps[index].lock().await;
    match app.spawn(extra) {
        Ok(()) => app.wait_ready(http).await,
        Err(error) => Err(error.to_string()),
    }
}

/// The sale: buyers race while the fault strikes; returns when every buyer is done.
async fn sale(
    plan: &Plan,
    services: &Arc<Services>,
    fault: &tokio::task::JoinHandle<()>,
    start: Instant,
    showtime: i64,
    seats: Vec<i64>,
    instances: [String; 2],
) -> Vec<BuyerLog> {
    let (over_tx, over) = tokio::sync::watch::channel(false);
    let deadline = start
        + BUYER_DEADLINE
        + match plan.fault {
            Fault::Stop => Duration::from_millis(plan.stop_ms()),
            _ => Duration::ZERO,
        };
    let sale = Arc::new(Sale {
        plan: Arc::new(plan.clone()),
        showtime,
        seats,
        instances,
        start,
        deadline,
        busy: AtomicUsize::new(0),
        waiting: AtomicUsize::new(0),
        over,
    });
    // Counted busy before they start, so the sale cannot look over before they arrive.
    sale.busy.fetch_add(plan.buyers.len(), Ordering::SeqCst);
    let buyers: Vec<_> = plan
        .buyers
        .iter()
        .map(|b| tokio::spawn(buyers::buyer(sale.clone(), b.clone())))
        .collect();
    // A failpoint's watcher runs all scenario long (the victim may die late, in the
    // reconciler); other faults are over when their task is.
    let watching = matches!(plan.fault, Fault::KillAt(_));
    // The sale is over when nobody is busy and the fault is done, and, if people still wait
    // in line, once holds made before had time to lapse and be offered to them.
    let quiet_needed = Duration::from_millis(plan.hold_ttl_secs * 1000 + 700);
    let mut quiet_since: Option<Instant> = None;
    tokio::time::sleep(Duration::from_millis(50)).await;
    while Instant::now() < deadline {
        let busy = sale.busy.load(Ordering::SeqCst);
        let waiting = sale.waiting.load(Ordering::SeqCst);
        let disrupted = services.disrupted.load(Ordering::SeqCst);
        if busy > 0 || disrupted || (!watching && !fault.is_finished()) {
            quiet_since = None;
        } else if waiting == 0 {
            break;
        } else {
            let since = *quiet_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= quiet_needed {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = over_tx.send(true);
    let mut logs = Vec::new();
    for buyer in buyers {
        if let Ok(log) = buyer.await {
            logs.push(log);
        }
    }
    logs
}

/// The fault itself, at the plan's moment, and the restart of what it broke.
async fn strike(plan: Plan, services: Arc<Services>, start: Instant) {
    let at = start + Duration::from_millis(plan.fault_at_ms);
    let outage = Duration::from_millis(plan.outage_ms);
    match plan.fault {
        Fault::KillAt(_) => {
            // The victim kills itself when it reaches the point (during the sale, or later in
            // its reconciler); restart it, without failpoints, after the outage.
            let http = reqwest::Client::new();
            let mut lives = plan.lives.iter().skip(1);
            let mut deaths = 0;
            while !services.done.load(Ordering::SeqCst) {
                if !services.apps[0].lock().await.is_running() {
                    services.disrupted.store(true, Ordering::SeqCst);
                    deaths += 1;
                    services
                        .fired
                        .store(deaths >= plan.lives.len(), Ordering::SeqCst);
                    tokio::time::sleep(outage).await;
                    let next: Vec<(&str, String)> = lives
                        .next()
                        .map(|p| vec![("FAILPOINTS", p.clone())])
                        .unwrap_or_default();
                    if let Err(error) = start_app(&services, 0, &next, &http).await {
                        services.crashes.lock().unwrap().push(error);
                    }
                    services.disrupted.store(false, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Fault::FlushAll => {
            tokio::time::sleep_until(at.into()).await;
            let flushed = tokio::task::block_in_place(|| services.redis.lock().unwrap().flushall());
            services.fired.store(flushed.is_ok(), Ordering::SeqCst);
        }
        Fault::RedisRestart | Fault::RedisKill => {
            tokio::time::sleep_until(at.into()).await;
            if plan.fault == Fault::RedisKill {
                let ms = start.elapsed().as_millis() as u64;
                services.redis_killed_at.store(ms.max(1), Ordering::SeqCst);
                services.redis.lock().unwrap().kill();
            } else {
                tokio::task::block_in_place(|| services.redis.lock().unwrap().shutdown());
            }
            services.fired.store(true, Ordering::SeqCst);
            tokio::time::sleep(outage).await;
            let restarted =
                tokio::task::block_in_place(|| services.redis.lock().unwrap().restart());
            if let Err(error) = restarted {
                services
                    .crashes
                    .lock()
                    .unwrap()
                    .push(format!("redis restart: {error}"));
            }
        }
        Fault::PostgresRestart { immediate } => {
            tokio::time::sleep_until(at.into()).await;
            let mode = if immediate {
                StopMode::Immediate
            } else {
                StopMode::Fast
            };
            let stopped = postgres_op(&services, |pg| pg.stop(mode)).await;
            services.fired.store(stopped.is_ok(), Ordering::SeqCst);
            tokio::time::sleep(outage).await;
            if let Err(error) = postgres_op(&services, |pg| pg.start()).await {
                services
                    .crashes
                    .lock()
                    .unwrap()
                    .push(format!("postgres start: {error}"));
            }
        }
        Fault::Stop => {
            tokio::time::sleep_until(at.into()).await;
            services.apps[0].lock().await.sigstop();
            services.fired.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(plan.stop_ms())).await;
            services.apps[0].lock().await.sigcont();
        }
    }
}

/// Runs a blocking `pg_ctl` step on the run's cluster.
async fn postgres_op(
    services: &Services,
    op: impl FnOnce(&Postgres) -> std::io::Result<()>,
) -> std::io::Result<()> {
    tokio::task::block_in_place(|| op(&services.postgres.lock().unwrap()))
}

/// After the sale: everything that was broken runs again (the fault restarts what it broke;
/// this is the safety net should a restart have failed).
async fn recover(plan: &Plan, services: &Services, http: &reqwest::Client) -> Result<(), String> {
    postgres_op(services, Postgres::ensure_running)
        .await
        .map_err(|e| format!("postgres: {e}"))?;
    tokio::task::block_in_place(|| services.redis.lock().unwrap().ensure_running())
        .map_err(|e| format!("redis: {e}"))?;
    for index in 0..2 {
        let (running, name) = {
            let mut app = services.apps[index].lock().await;
            (app.is_running(), app.name)
        };
        if !running {
            // The victim of a failpoint dies when it reaches it; any other death is a crash.
            let expected = index == 0 && matches!(plan.fault, Fault::KillAt(_));
            if !expected {
                services.crashes.lock().unwrap().push(name.to_string());
            }
            start_app(services, index, &[], http).await?;
        }
    }
    Ok(())
}

/// Waits (boundedly) until recovery is done: no payment left open, and both instances show
/// what Postgres has sold. If that never happens the checker will say what is wrong.
async fn settle(db: &PgPool, http: &reqwest::Client, instances: &[String; 2], showtime: i64) {
    let deadline = Instant::now() + RECOVERY;
    // A server without payment states has nothing to reconcile.
    let reconciles = observe::has_payment_states(db).await.unwrap_or(true);
    while reconciles && Instant::now() < deadline {
        let open = observe::unresolved(db).await.unwrap_or(1);
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while Instant::now() < deadline {
        let Ok(truth) = observe::sold(db, showtime).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut agree = true;
        for base in instances {
            agree &= observe::http_sold(http, base, showtime).await.as_ref() == Some(&truth);
        }
        if agree {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn facts(
    plan: &Plan,
    services: &Services,
    db: &PgPool,
    http: &reqwest::Client,
    instances: &[String; 2],
    showtime: i64,
    logs: &[BuyerLog],
) -> Result<Facts, String> {
    let orders = observe::orders(db)
        .await
        .map_err(|e| format!("orders: {e}"))?;
    let ledger = observe::ledger(db)
        .await
        .map_err(|e| format!("ledger: {e}"))?;
    let named = [
        ("victim", instances[0].clone()),
        ("healthy", instances[1].clone()),
    ];
    let maps = observe::maps(http, &named, showtime).await;
    let mut line = Vec::new();
    for log in logs {
        let (Some(waited), Some(session), Some(cookie)) = (&log.line, &log.session, &log.cookie)
        else {
            continue;
        };
        let member = LineMember {
            buyer: log.index,
            session_id: session.clone(),
            joined_at_ms: waited.joined_at_ms,
            left: waited.left,
            offer_seen: waited.offer_seen,
            in_line_now: false,
            holds_now: false,
            read_ok: false,
        };
        line.push(observe::line_member(http, &instances[1], showtime, cookie, member).await);
    }
    let killed_at = services.redis_killed_at.load(Ordering::SeqCst);
    let redis_loss = if plan.fault.is_flush() && services.fired.load(Ordering::SeqCst) {
        RedisLoss::Flushed
    } else if killed_at > 0 {
        RedisLoss::Killed { at_ms: killed_at }
    } else {
        RedisLoss::None
    };
    Ok(Facts {
        ledger,
        orders,
        maps,
        purchases: logs.iter().flat_map(|l| l.purchases.clone()).collect(),
        anomalies: logs
            .iter()
            .flat_map(|l| {
                l.anomalies.iter().map(|what| Anomaly {
                    buyer: l.index,
                    what: what.clone(),
                })
            })
            .collect(),
        line,
        redis_loss,
    })
}

fn summarize(logs: &[BuyerLog], facts: &Facts) -> String {
    let tally = |items: Vec<String>| -> String {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for item in items {
            *counts.entry(item).or_default() += 1;
        }
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    };
    let ends = tally(
        logs.iter()
            .map(|l| format!("{:?}", l.end).to_lowercase())
            .collect(),
    );
    let unknown = tally(
        facts
            .purchases
            .iter()
            .filter_map(|p| match &p.answer {
                Answer::Unknown(last) => Some(format!("last {last}")),
                _ => None,
            })
            .collect(),
    );
    let orders = tally(facts.orders.iter().map(|o| o.status.clone()).collect());
    format!(
        "buyers: {ends}; {} acknowledged in line, {} served; answers unknown: {unknown}; \
         orders: {orders}",
        facts.line.len(),
        facts.line.iter().filter(|m| m.offer_seen).count(),
    )
}
