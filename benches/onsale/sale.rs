//! The flash sale at on-sale size: [`BUYERS`] buyers race for every seat of one showtime
//! through the HTTP API (seat map, hold 1–4 random free seats, purchase), each its own session.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use marquee::server::AppState;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::support::measure::{http_client, ms, percentile, pick_free, post_json};

pub const BUYERS: usize = 10_000;
/// Buyers in the middle of their visit at once (each with its own connection). All 10,000 at
/// once would need 20,000 descriptors in this one process (the client's end of every
/// connection and the server's), which is this machine's hard limit; the rest wait at the
/// door in arrival order (a fair semaphore) and come in as others leave.
/// `ONSALE_IN_FLIGHT` sets another number (to see what the concurrency does to latency).
const IN_FLIGHT: usize = 2_000;

fn in_flight() -> usize {
    std::env::var("ONSALE_IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(IN_FLIGHT)
}

/// A buyer who tried this many times (lost races and error answers alike) gives up, as in
/// `load.rs`.
const ATTEMPTS: usize = 20;
/// Error answers kept verbatim for the report.
const SAMPLES: usize = 5;

/// What one buyer went through.
#[derive(Default)]
struct Visit {
    seats: usize,
    /// Every hold request: its status (0: no answer) and round trip.
    holds: Vec<(u16, Duration)>,
    purchase: Option<(u16, Duration)>,
    bought_at: Option<Instant>,
    map_errors: usize,
    gave_up: bool,
    /// Answers that were neither a success nor a lost race, verbatim.
    errors: Vec<String>,
}

/// The sale's figures, as measured by the buyers and then read back from Postgres and Redis.
pub struct Sale {
    seats: usize,
    sold_out: Duration,
    all_answered: Duration,
    holds: Vec<Duration>,
    hold_statuses: BTreeMap<u16, usize>,
    purchases: Vec<Duration>,
    purchase_statuses: BTreeMap<u16, usize>,
    buyers_served: usize,
    seats_bought: usize,
    gave_up: usize,
    map_errors: usize,
    errors: Vec<String>,
    tickets: i64,
    active_tickets: i64,
    distinct_seats: i64,
    orders: BTreeMap<String, i64>,
    redis_sold: usize,
    /// Seats still held (not sold) once every buyer has gone.
    still_held: usize,
    /// The app's own error counters after the sale (`/metrics`): what was behind an error.
    server_errors: Vec<String>,
}

async fn post(client: &reqwest::Client, base: &str, endpoint: &str, body: Value) -> (u16, Value) {
    post_json(client, format!("{base}/api/{endpoint}"), body).await
}

/// One buyer: looks at the map, grabs 1–4 free seats, buys them; tries again after a lost race
/// or an error answer (at once, as `load.rs`'s buyers do).
async fn visit(base: &str, showtime: i64, buyer: usize, all_seats: &[i64]) -> Visit {
    let client = http_client();
    let mut visit = Visit::default();
    for attempt in 0..ATTEMPTS {
        let map = match client
            .get(format!("{base}/api/seat_map?showtime_id={showtime}"))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => r.json::<Value>().await.unwrap_or(Value::Null),
            Ok(r) => Value::String(format!("seat map: {}", r.status())),
            Err(error) => Value::String(format!("seat map: {error}")),
        };
        if !map.is_object() {
            visit.map_errors += 1;
            visit.errors.push(map.to_string());
            continue;
        }
        let Some(want) = pick_free(&map, all_seats) else {
            return visit;
        };
        let start = Instant::now();
        let (status, body) = post(
            &client,
            base,
            "hold_seats",
            json!({"showtime_id": showtime, "seat_ids": want}),
        )
        .await;
        visit.holds.push((status, start.elapsed()));
        match status {
            200 => {}
            // Someone else was faster: the race this bench is about.
            409 => continue,
            _ => {
                visit.errors.push(format!("hold {status}: {body}"));
                continue;
            }
        }
        let start = Instant::now();
        let (status, order) = post(
            &client,
            base,
            "purchase",
            json!({"request": {
                "showtime_id": showtime, "seat_ids": want, "name": format!("Buyer {buyer}"),
                "email": format!("buyer{buyer}@example.com"),
                "card_number": "4242424242424242",
                "idempotency_key": format!("onsale-{buyer}-{attempt}-key"),
            }}),
        )
        .await;
        visit.purchase = Some((status, start.elapsed()));
        if status == 200 {
            visit.seats = want.len();
            visit.bought_at = Some(Instant::now());
        } else {
            // A held seat must be buyable; this is reported, not retried.
            visit.errors.push(format!("purchase {status}: {order}"));
        }
        return visit;
    }
    visit.gave_up = true;
    visit
}

/// Runs the sale on `showtime` (which must have nothing sold or held yet).
pub async fn run(base: &str, state: &AppState, showtime: i64) -> Sale {
    let info = state.showtimes.get(&state.db, showtime).await.unwrap();
    let all_seats = Arc::new(info.seat_ids.clone());
    // Every buyer is waiting before the sale opens; the gate opens at once for
    // `in_flight()` of them.
    let gate = Arc::new(Semaphore::new(0));
    let mut tasks = Vec::with_capacity(BUYERS);
    for buyer in 0..BUYERS {
        let (base, all_seats, gate) = (base.to_string(), all_seats.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _inside = gate.acquire_owned().await.unwrap();
            visit(&base, showtime, buyer, &all_seats).await
        }));
    }
    let start = Instant::now();
    gate.add_permits(in_flight());

    let mut sale = Sale {
        seats: all_seats.len(),
        sold_out: Duration::ZERO,
        all_answered: Duration::ZERO,
        holds: Vec::new(),
        hold_statuses: BTreeMap::new(),
        purchases: Vec::new(),
        purchase_statuses: BTreeMap::new(),
        buyers_served: 0,
        seats_bought: 0,
        gave_up: 0,
        map_errors: 0,
        errors: Vec::new(),
        tickets: 0,
        active_tickets: 0,
        distinct_seats: 0,
        orders: BTreeMap::new(),
        redis_sold: 0,
        still_held: 0,
        server_errors: Vec::new(),
    };
    for task in tasks {
        let visit = task.await.unwrap();
        for (status, latency) in visit.holds {
            *sale.hold_statuses.entry(status).or_default() += 1;
            sale.holds.push(latency);
        }
        if let Some((status, latency)) = visit.purchase {
            *sale.purchase_statuses.entry(status).or_default() += 1;
            sale.purchases.push(latency);
        }
        if let Some(at) = visit.bought_at {
            sale.sold_out = sale.sold_out.max(at.duration_since(start));
        }
        sale.seats_bought += visit.seats;
        sale.buyers_served += usize::from(visit.seats > 0);
        sale.gave_up += usize::from(visit.gave_up);
        sale.map_errors += visit.map_errors;
        let room = SAMPLES.saturating_sub(sale.errors.len());
        sale.errors.extend(visit.errors.into_iter().take(room));
    }
    sale.all_answered = start.elapsed();
    sale.holds.sort();
    sale.purchases.sort();

    // Read back what was actually sold: the system of record and Redis' sold set.
    (sale.tickets, sale.active_tickets, sale.distinct_seats) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE active),
                count(DISTINCT seat_id) FILTER (WHERE active)
           FROM tickets WHERE showtime_id = $1",
    )
    .bind(showtime)
    .fetch_one(&state.db)
    .await
    .unwrap();
    let orders: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count(*) FROM orders WHERE showtime_id = $1 GROUP BY status",
    )
    .bind(showtime)
    .fetch_all(&state.db)
    .await
    .unwrap();
    sale.orders = orders.into_iter().collect();
    sale.redis_sold = redis::cmd("SCARD")
        .arg(state.holds.keys(showtime).sold())
        .query_async(&mut state.redis.clone())
        .await
        .unwrap();
    sale.still_held = redis::cmd("ZCARD")
        .arg(state.holds.keys(showtime).expiry())
        .query_async(&mut state.redis.clone())
        .await
        .unwrap();
    sale.server_errors = server_errors(base).await;
    sale
}

/// The app's counters of Postgres and Redis errors and of payment calls that captured
/// nothing, from `/metrics` (which answers a loopback caller).
async fn server_errors(base: &str) -> Vec<String> {
    let text = match reqwest::get(format!("{base}/metrics")).await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(error) => return vec![format!("/metrics unreadable: {error}")],
    };
    text.lines()
        // Counters that stayed at zero say nothing.
        .filter(|line| !line.ends_with(" 0"))
        .filter(|line| {
            line.starts_with("marquee_postgres_errors_total")
                || line.starts_with("marquee_redis_errors_total")
                || (line.starts_with("marquee_payment_calls_total")
                    && !line.contains("result=\"captured\""))
        })
        .map(str::to_owned)
        .collect()
}

impl Sale {
    pub fn print(&self) {
        let count = |statuses: &BTreeMap<u16, usize>, status| statuses.get(&status).copied();
        let holds = self.holds.len();
        let lost = count(&self.hold_statuses, 409).unwrap_or(0);
        println!(
            "flash sale: {BUYERS} buyers (each its own session; {} at a time), {} seats",
            in_flight(),
            self.seats
        );
        let sold_out = if self.distinct_seats == self.seats as i64 {
            "sold out"
        } else {
            "NOT sold out; last purchase"
        };
        println!(
            "  {sold_out} in {:.2}s (last purchase answered); every buyer answered in {:.2}s",
            self.sold_out.as_secs_f64(),
            self.all_answered.as_secs_f64()
        );
        println!(
            "  holds attempted {holds}: {} held, {lost} lost the race (409) = {:.1}%; all statuses {:?}",
            count(&self.hold_statuses, 200).unwrap_or(0),
            100.0 * lost as f64 / holds.max(1) as f64,
            self.hold_statuses
        );
        println!(
            "  hold latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(percentile(&self.holds, 0.50)),
            ms(percentile(&self.holds, 0.99)),
            ms(self.holds.last().copied().unwrap_or_default())
        );
        println!(
            "  purchases {} ({:?}), latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.purchases.len(),
            self.purchase_statuses,
            ms(percentile(&self.purchases, 0.50)),
            ms(percentile(&self.purchases, 0.99)),
            ms(self.purchases.last().copied().unwrap_or_default())
        );
        println!(
            "  {} seats to {} buyers; {} gave up after {ATTEMPTS} tries; {} seat-map errors",
            self.seats_bought, self.buyers_served, self.gave_up, self.map_errors
        );
        println!(
            "  oversold: {} (active tickets {}, distinct seats {}, all tickets {}, Redis sold {}, seats {}); \
             still held at the end {}; orders {:?}",
            self.active_tickets - self.distinct_seats,
            self.active_tickets,
            self.distinct_seats,
            self.tickets,
            self.redis_sold,
            self.seats,
            self.still_held,
            self.orders
        );
        for error in &self.errors {
            println!("  error seen: {error}");
        }
        for counter in &self.server_errors {
            println!("  server: {counter}");
        }
    }

    /// What went wrong, if anything: an oversell, a showtime not sold out, an answer that was
    /// neither a success nor a lost race.
    pub fn problems(&self) -> Vec<String> {
        let seats = self.seats as i64;
        let mut problems = Vec::new();
        let mut check = |ok: bool, what: String| {
            if !ok {
                problems.push(format!("flash sale: {what}"));
            }
        };
        check(
            self.active_tickets == self.distinct_seats,
            format!("oversold by {}", self.active_tickets - self.distinct_seats),
        );
        check(
            self.distinct_seats == seats,
            format!("{} of {seats} seats sold", self.distinct_seats),
        );
        check(
            self.redis_sold as i64 == seats,
            format!("Redis sold set {} of {seats}", self.redis_sold),
        );
        check(
            self.seats_bought as i64 == self.active_tickets,
            format!(
                "buyers were sold {} seats, Postgres has {} tickets",
                self.seats_bought, self.active_tickets
            ),
        );
        let odd_holds: usize = (self.hold_statuses.iter())
            .filter(|(s, _)| !matches!(s, 200 | 409))
            .map(|(_, n)| n)
            .sum();
        check(
            odd_holds == 0,
            format!("{odd_holds} holds neither 200 nor 409"),
        );
        let failed = self.purchases.len() - self.purchase_statuses.get(&200).unwrap_or(&0);
        check(
            failed == 0,
            format!("{failed} purchases of held seats failed"),
        );
        check(
            self.map_errors == 0,
            format!("{} seat maps failed", self.map_errors),
        );
        problems
    }
}
