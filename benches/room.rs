//! On-sale waiting room benchmark: thousands of visitors in one room, in one run. Run with
//! `make bench-room` (release build, about three minutes).
//!
//! For each size (1,000 visitors, the baseline, then 5,000), on one app instance:
//! 1. An on-sale for one showtime, in its pre-queue phase. Every visitor (its own session)
//!    takes a place through `POST /api/on_sales/{id}/join`, 200 at a time: joins/s and join
//!    latency.
//! 2. Every visitor opens the showtime's live socket, as the seat-map page does.
//! 3. The on-sale opens. The room admits at 6,000 a minute (100/s), at most 300 shopping at
//!    once; an admitted visitor shops for a second and gives the turn up (so the cap, which
//!    allows about 150/s at that pace, is reached only when the rate lets more in).
//! 4. Measured from the sockets: how long after the opening each visitor learned their drawn
//!    place (p50/p99/max: the position fan-out), the admission rate achieved against the
//!    configured one, the most shoppers ever reported against the cap, and that every
//!    visitor was admitted exactly once.
//!
//! Everything shares one machine (app, 5,000 clients, Postgres, Redis); the 5,000 figures are
//! given as ratios to the 1,000 ones, measured in the same process just before. Anything wrong
//! (someone never admitted, the cap passed, the rate exceeded) fails the run after the figures.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use marquee::server::{AppState, Application};
use serde_json::Value;
use support::BenchDatabase;
use support::measure::{ms, percentile};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SIZES: [usize; 2] = [1_000, 5_000];
const PER_MINUTE: u32 = 6_000;
const MAX_ACTIVE: u32 = 300;
const SHOPPING: Duration = Duration::from_secs(1);
/// The on-sale opens this long after every socket is connected (the room reads on-sales
/// through a 5 s cache, so a later opening is what every instance sees in time).
const OPENING_DELAY: Duration = Duration::from_secs(7);

struct Figures {
    visitors: usize,
    joins_per_sec: f64,
    join_p99: Duration,
    place_p50: Duration,
    place_p99: Duration,
    place_max: Duration,
    admitted: usize,
    admissions_per_sec: f64,
    most_shopping: u64,
    problems: Vec<String>,
}

fn session_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One visitor's socket: when it first learned its place after `opened`, and when it was
/// admitted, and the most shoppers any message reported.
struct Heard {
    place_after: Option<Duration>,
    admitted_entry: Option<String>,
    admitted_at: Option<Instant>,
    most_shopping: u64,
}

async fn visitor(
    base: String,
    showtime: i64,
    on_sale: i64,
    session: String,
    opened: Arc<tokio::sync::OnceCell<Instant>>,
    connected: Arc<Semaphore>,
    deadline: Duration,
) -> Heard {
    let url = format!("{}/ws/showtimes/{showtime}", base.replace("http", "ws"));
    let mut request = url.into_client_request().unwrap();
    let cookie = format!("marquee_session={session}");
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("socket connects");
    connected.add_permits(1);
    let mut heard = Heard {
        place_after: None,
        admitted_entry: None,
        admitted_at: None,
        most_shopping: 0,
    };
    let started = Instant::now();
    while started.elapsed() < deadline {
        let message = match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(message))) => message,
            Ok(_) => break,
            Err(_) => continue,
        };
        let Message::Text(text) = message else {
            if let Message::Ping(payload) = message {
                let _ = socket.send(Message::Pong(payload)).await;
            }
            continue;
        };
        let value: Value = serde_json::from_str(&text).unwrap();
        if value["type"] != "queue" {
            continue;
        }
        let status = &value["status"];
        heard.most_shopping = heard
            .most_shopping
            .max(status["shopping"].as_u64().unwrap_or(0));
        if let Some(opened) = opened.get()
            && heard.place_after.is_none()
            && (status["position"].is_u64() || status["state"] == "admitted")
        {
            heard.place_after = Some(opened.elapsed());
        }
        if status["state"] == "admitted" && heard.admitted_entry.is_none() {
            heard.admitted_entry = status["entry"].as_str().map(str::to_owned);
            heard.admitted_at = Some(Instant::now());
            // Shops for a while, then gives the turn up.
            tokio::time::sleep(SHOPPING).await;
            let left = reqwest::Client::new()
                .post(format!("{base}/api/on_sales/{on_sale}/leave"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(left.status(), 200);
            break;
        }
    }
    let _ = socket.close(None).await;
    heard
}

async fn run(base: &str, state: &AppState, showtime: i64, visitors: usize) -> Figures {
    let on_sale: i64 = sqlx::query_scalar(
        "INSERT INTO on_sales (name, opens_at, prequeue_minutes, admit_per_minute, max_active)
         VALUES ('Bench premiere', now() + interval '10 minutes', 30, $1, $2) RETURNING id",
    )
    .bind(PER_MINUTE as i32)
    .bind(MAX_ACTIVE as i32)
    .fetch_one(&state.db)
    .await
    .unwrap();
    sqlx::query("UPDATE showtimes SET on_sale_id = $1 WHERE id = $2")
        .bind(on_sale)
        .bind(showtime)
        .execute(&state.db)
        .await
        .unwrap();
    marquee::server::catalog::changed(state).await;
    let sessions: Vec<String> = (0..visitors).map(|_| session_id()).collect();

    // 1. Everyone takes a place, 200 at a time.
    let client = reqwest::Client::new();
    let gate = Arc::new(Semaphore::new(200));
    let started = Instant::now();
    let joins = sessions.iter().map(|session| {
        let (client, gate) = (client.clone(), gate.clone());
        let url = format!("{base}/api/on_sales/{on_sale}/join");
        let cookie = format!("marquee_session={session}");
        async move {
            let _permit = gate.acquire().await.unwrap();
            let sent = Instant::now();
            let response = client
                .post(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{:?}", response.text().await);
            sent.elapsed()
        }
    });
    let mut join_times: Vec<Duration> = futures::future::join_all(joins).await;
    let joins_per_sec = visitors as f64 / started.elapsed().as_secs_f64();
    join_times.sort();

    // 2. Everyone opens the showtime's socket.
    let opened = Arc::new(tokio::sync::OnceCell::new());
    let connected = Arc::new(Semaphore::new(0));
    let deadline = OPENING_DELAY
        + Duration::from_secs_f64(visitors as f64 * 60.0 / f64::from(PER_MINUTE) * 2.0 + 30.0);
    let tasks: Vec<_> = sessions
        .iter()
        .map(|session| {
            tokio::spawn(visitor(
                base.to_string(),
                showtime,
                on_sale,
                session.clone(),
                opened.clone(),
                connected.clone(),
                deadline,
            ))
        })
        .collect();
    let _all = connected.acquire_many(visitors as u32).await.unwrap();

    // 3. The opening.
    sqlx::query("UPDATE on_sales SET opens_at = now() + $2::interval WHERE id = $1")
        .bind(on_sale)
        .bind(format!("{} milliseconds", OPENING_DELAY.as_millis()))
        .execute(&state.db)
        .await
        .unwrap();
    tokio::time::sleep(OPENING_DELAY).await;
    opened.set(Instant::now()).unwrap();

    // 4. What the sockets heard.
    let heard: Vec<Heard> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut places: Vec<Duration> = heard.iter().filter_map(|h| h.place_after).collect();
    places.sort();
    let entries: Vec<&String> = heard
        .iter()
        .filter_map(|h| h.admitted_entry.as_ref())
        .collect();
    let distinct: HashSet<&&String> = entries.iter().collect();
    let times: Vec<Instant> = heard.iter().filter_map(|h| h.admitted_at).collect();
    let span = match (times.iter().min(), times.iter().max()) {
        (Some(first), Some(last)) => last.duration_since(*first).as_secs_f64(),
        _ => 0.0,
    };
    // The first second's worth goes at once (the bucket starts full), the rest at the rate.
    let burst = f64::from(PER_MINUTE.div_ceil(60));
    let admissions_per_sec = (entries.len() as f64 - burst).max(0.0) / span.max(1e-3);
    let most_shopping = heard.iter().map(|h| h.most_shopping).max().unwrap_or(0);
    let total = state.room.admitted_total(on_sale).await.unwrap();

    let mut problems = Vec::new();
    if places.len() != visitors {
        problems.push(format!(
            "{} of {visitors} never heard their place",
            visitors - places.len()
        ));
    }
    if entries.len() != visitors || distinct.len() != visitors || total != visitors as u64 {
        problems.push(format!(
            "{} admitted as heard, {} distinct, {total} counted, of {visitors}",
            entries.len(),
            distinct.len()
        ));
    }
    if most_shopping > u64::from(MAX_ACTIVE) {
        problems.push(format!(
            "{most_shopping} shopping at once, cap {MAX_ACTIVE}"
        ));
    }
    let configured = f64::from(PER_MINUTE) / 60.0;
    if admissions_per_sec > configured * 1.10 {
        problems.push(format!(
            "admitted {admissions_per_sec:.0}/s, configured {configured:.0}/s"
        ));
    }
    Figures {
        visitors,
        joins_per_sec,
        join_p99: percentile(&join_times, 0.99),
        place_p50: percentile(&places, 0.50),
        place_p99: percentile(&places, 0.99),
        place_max: places.last().copied().unwrap_or_default(),
        admitted: entries.len(),
        admissions_per_sec,
        most_shopping,
        problems,
    }
}

#[tokio::main]
async fn main() {
    println!(
        "Marquee waiting-room benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let database = BenchDatabase::create("room").await;
    let settings = database.settings(&[
        ("DATABASE_MAX_CONNECTIONS", "20"),
        ("QUEUE_PLACES_PER_ADDRESS", "1000000"),
        ("WS_MAX_CONNECTIONS", "100000"),
        ("WS_MAX_PER_IP", "100000"),
    ]);
    let app = Application::build(settings).await.expect("app builds");
    let base = format!("http://{}", app.address());
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));

    let mut figures = Vec::new();
    for (nth, visitors) in SIZES.into_iter().enumerate() {
        let showtime = BenchDatabase::showtime_in(&state.db, "Grand Hall", nth as i64).await;
        figures.push(run(&base, &state, showtime, visitors).await);
    }
    let _ = stop.send(());
    let _ = server.await;
    database.drop().await;

    let configured = f64::from(PER_MINUTE) / 60.0;
    println!();
    println!(
        "| visitors | joins/s | join p99 | place after opening p50 / p99 / max | admitted | admissions/s (configured {configured:.0}) | most shopping (cap {MAX_ACTIVE}) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for f in &figures {
        println!(
            "| {} | {:.0} | {:.0} ms | {:.0} / {:.0} / {:.0} ms | {} | {:.1} ({:.2}×) | {} |",
            f.visitors,
            f.joins_per_sec,
            ms(f.join_p99),
            ms(f.place_p50),
            ms(f.place_p99),
            ms(f.place_max),
            f.admitted,
            f.admissions_per_sec,
            f.admissions_per_sec / configured,
            f.most_shopping,
        );
    }
    if let [small, large] = &figures[..] {
        println!();
        println!(
            "5,000 vs 1,000 visitors: joins/s {:.2}×, join p99 {:.2}×, place p99 {:.2}×, place max {:.2}×",
            large.joins_per_sec / small.joins_per_sec,
            ms(large.join_p99) / ms(small.join_p99),
            ms(large.place_p99) / ms(small.place_p99),
            ms(large.place_max) / ms(small.place_max),
        );
    }
    let problems: Vec<&String> = figures.iter().flat_map(|f| &f.problems).collect();
    for problem in &problems {
        println!("PROBLEM: {problem}");
    }
    assert!(problems.is_empty(), "{} problems (above)", problems.len());
}
