//! Buyers racing for seats while things break: each is a tokio task with its own cookie jar
//! (its own session, sent to both instances, which share it through Redis), following
//! docs/api.md as a careful client would: hold, buy with an idempotency key, and retry the
//! same key on any live instance after a transport error, a 5xx, `payment_pending` or
//! `purchase_in_progress`, until the scenario's deadline. Some join the waiting line when
//! their seats are gone, some leave it, some take, decline or sit on an offer.
//!
//! Each buyer writes down what it was told ([`BuyerLog`]); the checker holds the server to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::cookie::{CookieStore, Jar};
use serde_json::{Value, json};

use super::checker::{Answer, Left, Purchase};
use super::reply::{Reply, read};
use super::scenario::{BuyerPlan, Fault, OnOffer, Plan, Rng};

const GOOD_CARD: &str = "4242 4242 4242 4242";
/// The test gateway's documented decline number.
const DECLINE_CARD: &str = "4000 0000 0000 0002";
/// A request to a frozen instance must not stall a buyer for long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// How often someone in line looks at their place.
const LINE_POLL: Duration = Duration::from_millis(150);

/// What every buyer of one scenario shares.
pub struct Sale {
    pub plan: Arc<Plan>,
    pub showtime: i64,
    /// The room's seats in layout order.
    pub seats: Vec<i64>,
    /// Base URLs: `[victim, healthy]`.
    pub instances: [String; 2],
    pub start: Instant,
    /// Buyers stop retrying at this point; what is still open stays `Unknown`.
    pub deadline: Instant,
    /// Buyers that are doing something (holding, buying, joining); those waiting in line are
    /// not counted, so the scenario knows when only the line is left.
    pub busy: AtomicUsize,
    /// Buyers waiting in line right now.
    pub waiting: AtomicUsize,
    /// Set when the sale is over: people still waiting in line stop looking.
    pub over: tokio::sync::watch::Receiver<bool>,
}

impl Sale {
    fn ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
}

/// What one person waiting in line went through.
#[derive(Debug, Clone)]
pub struct LineLog {
    pub joined_at_ms: u64,
    pub left: Left,
    pub offer_seen: bool,
}

/// What one buyer did and was told.
#[derive(Debug, Clone)]
pub struct BuyerLog {
    pub index: usize,
    /// The session cookie's value (the holder id), once known.
    pub session: Option<String>,
    pub cookie: Option<String>,
    pub purchases: Vec<Purchase>,
    pub line: Option<LineLog>,
    /// How the buyer's story ended, for the scenario's summary.
    pub end: End,
    /// Answers outside the contract to a hold or a join.
    pub anomalies: Vec<String>,
}

/// How a buyer's story ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum End {
    Bought,
    /// A final refusal of the last purchase attempt.
    Refused,
    /// Still retrying at the deadline.
    Unknown,
    Abandoned,
    /// No seats to be had and not queuing (or the line refused them).
    NoSeats,
    /// Waited in line (whatever came of it: see the line log).
    Queued,
    /// Lost the race for seats three times.
    Outrun,
    /// Could not even hold: the deadline passed, or an answer outside the contract.
    GaveUp,
}

/// One visitor: a client with its own cookie jar.
struct Visitor {
    sale: Arc<Sale>,
    client: reqwest::Client,
    jar: Arc<Jar>,
    /// The instance to ask next; flips after a failure.
    instance: usize,
    /// Answers outside the contract (other than to a purchase, which has its own record).
    anomalies: Vec<String>,
}

impl Visitor {
    fn new(sale: Arc<Sale>, instance: usize) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Self {
            sale,
            client,
            jar,
            instance,
            anomalies: Vec::new(),
        }
    }

    fn anomaly(&mut self, request: &str, reply: &Reply) {
        self.anomalies
            .push(format!("{request}: {}", reply.describe()));
    }

    fn flip(&mut self) {
        self.instance = 1 - self.instance;
    }

    fn late(&self) -> bool {
        Instant::now() >= self.sale.deadline
    }

    /// A request never outlives the deadline (a retry stuck waiting on a dead attempt's
    /// lock would otherwise hold the scenario up).
    fn timeout(&self) -> Duration {
        let left = self.sale.deadline.saturating_duration_since(Instant::now());
        REQUEST_TIMEOUT.min(left).max(Duration::from_millis(1))
    }

    async fn post(&self, endpoint: &str, body: Value) -> Reply {
        let url = format!("{}/api/{endpoint}", self.sale.instances[self.instance]);
        let request = self.client.post(url).json(&body).timeout(self.timeout());
        read(request.send().await).await
    }

    async fn get(&self, path: &str) -> Reply {
        let url = format!("{}{path}", self.sale.instances[self.instance]);
        read(self.client.get(url).timeout(self.timeout()).send().await).await
    }

    /// Sends until the answer is not worth retrying or the deadline passes (then `None`).
    async fn post_until_answered(&mut self, endpoint: &str, body: Value) -> Option<Reply> {
        loop {
            if self.late() {
                return None;
            }
            let reply = self.post(endpoint, body.clone()).await;
            if !reply.retry() {
                return Some(reply);
            }
            self.flip();
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }

    /// The cookie this visitor sends (both instances share the host, so one jar serves both).
    fn cookie(&self) -> Option<String> {
        let url = self.sale.instances[0].parse().ok()?;
        let header = self.jar.cookies(&url)?;
        Some(header.to_str().ok()?.to_string())
    }

    fn session(&self) -> Option<String> {
        self.cookie()?
            .split("; ")
            .find_map(|pair| pair.strip_prefix("marquee_session="))
            .map(String::from)
    }

    /// Free seats of the showtime right now, as this visitor sees them.
    async fn free_seats(&mut self) -> Option<Vec<i64>> {
        let path = format!("/api/seat_map?showtime_id={}", self.sale.showtime);
        match self.get(&path).await {
            Reply::Status(200, map) => {
                let taken: Vec<i64> = ["sold", "held"]
                    .iter()
                    .flat_map(|k| map[*k].as_array().cloned().unwrap_or_default())
                    .filter_map(|v| v.as_i64())
                    .collect();
                Some(
                    self.sale
                        .seats
                        .iter()
                        .copied()
                        .filter(|s| !taken.contains(s))
                        .collect(),
                )
            }
            _ => {
                self.flip();
                None
            }
        }
    }
}

/// Counts a buyer as busy while alive (see [`Sale::busy`]).
struct Busy<'a>(&'a AtomicUsize);

impl<'a> Busy<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter)
    }

    /// Takes over a count the scenario made before spawning the buyer (so the sale cannot
    /// look over before every buyer has started).
    fn adopt(counter: &'a AtomicUsize) -> Self {
        Self(counter)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What came of trying to hold seats.
enum Held {
    Seats(Vec<i64>),
    /// Taken by others; nothing held.
    Taken,
    /// The server says we wait in line (a join whose answer was lost went through).
    InLine,
    GaveUp,
}

/// One buyer, from arrival to a final answer (or the deadline). The caller counted it busy.
pub async fn buyer(sale: Arc<Sale>, plan: BuyerPlan) -> BuyerLog {
    let busy_counter = &sale.busy;
    let busy = Busy::adopt(busy_counter);
    tokio::time::sleep(Duration::from_millis(plan.start_ms)).await;
    let mut visitor = Visitor::new(sale.clone(), plan.instance);
    let mut log = BuyerLog {
        index: plan.index,
        session: None,
        cookie: None,
        purchases: Vec::new(),
        line: None,
        end: End::Outrun,
        anomalies: Vec::new(),
    };
    let mut rng = Rng::new(sale.plan.seed ^ ((plan.index as u64) << 32));
    let mut want: Vec<i64> = plan.seats.iter().map(|i| sale.seats[*i]).collect();
    let mut keys = 0;
    // A buyer tries at most three times to get seats (other seats after a refusal).
    for _round in 0..3 {
        if visitor.late() {
            break;
        }
        match hold(&mut visitor, &want).await {
            Held::Seats(seats) => {
                if plan.abandons {
                    log.end = End::Abandoned;
                    break;
                }
                let mut card = if plan.declined_first && keys == 0 {
                    DECLINE_CARD
                } else {
                    GOOD_CARD
                };
                loop {
                    let key = format!("fault-{}-{}-{keys}", sale.plan.seed, plan.index);
                    keys += 1;
                    let answer = purchase(&mut visitor, &seats, card, &key).await;
                    let declined = matches!(&answer, Answer::Refused(a) if a.starts_with("402"));
                    log.purchases.push(Purchase {
                        buyer: plan.index,
                        key,
                        answer: answer.clone(),
                    });
                    if declined && card == DECLINE_CARD {
                        // The hold is kept after a decline: pay again with a good card.
                        card = GOOD_CARD;
                        continue;
                    }
                    break;
                }
                log.end = match log.purchases.last().map(|p| &p.answer) {
                    Some(Answer::Bought(_)) => End::Bought,
                    Some(Answer::Unknown(_)) => End::Unknown,
                    // Seats gone under us (a lost hold after a Redis fault): pick again.
                    Some(Answer::Refused(a)) if !a.starts_with("402") => {
                        log.end = End::Refused;
                        want = pick_again(&mut visitor, &mut rng, want.len())
                            .await
                            .unwrap_or(want);
                        continue;
                    }
                    Some(Answer::Refused(_)) => End::Refused,
                    _ => End::GaveUp,
                };
                break;
            }
            Held::Taken => match pick_again(&mut visitor, &mut rng, want.len()).await {
                Some(seats) => want = seats,
                None if plan.joins_line => {
                    log.line = wait_in_line(&mut visitor, &plan, &mut log.purchases, busy).await;
                    log.end = End::Queued;
                    return finish(visitor, log);
                }
                None => {
                    log.end = End::NoSeats;
                    break;
                }
            },
            Held::InLine => {
                log.line = wait_in_line(&mut visitor, &plan, &mut log.purchases, busy).await;
                log.end = End::Queued;
                return finish(visitor, log);
            }
            Held::GaveUp => {
                log.end = End::GaveUp;
                break;
            }
        }
    }
    drop(busy);
    finish(visitor, log)
}

fn finish(visitor: Visitor, mut log: BuyerLog) -> BuyerLog {
    log.session = visitor.session();
    log.cookie = visitor.cookie();
    log.anomalies = visitor.anomalies;
    log
}

/// Other free seats, as many as wanted, if there are that many (a random choice: buyers
/// who all took the first free seats would only collide again).
async fn pick_again(visitor: &mut Visitor, rng: &mut Rng, count: usize) -> Option<Vec<i64>> {
    let mut free = visitor.free_seats().await?;
    if free.len() < count {
        return None;
    }
    let mut seats = Vec::new();
    while seats.len() < count {
        let at = rng.range(0, free.len() as u64 - 1) as usize;
        seats.push(free.swap_remove(at));
    }
    Some(seats)
}

async fn hold(visitor: &mut Visitor, seats: &[i64]) -> Held {
    let body = json!({ "showtime_id": visitor.sale.showtime, "seat_ids": seats });
    let Some(reply) = visitor.post_until_answered("hold_seats", body).await else {
        return Held::GaveUp;
    };
    match (&reply, reply.error()) {
        (Reply::Status(200, status), _) => Held::Seats(
            status["seat_ids"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default(),
        ),
        (_, "seat_taken") => Held::Taken,
        (_, "in_line") => Held::InLine,
        _ => {
            visitor.anomaly("hold_seats", &reply);
            Held::GaveUp
        }
    }
}

/// Buys `seats` under `key`, retrying the same key until a final answer or the deadline.
async fn purchase(visitor: &mut Visitor, seats: &[i64], card: &str, key: &str) -> Answer {
    let body = json!({ "request": {
        "showtime_id": visitor.sale.showtime,
        "seat_ids": seats,
        "name": "Fault Tester",
        "email": "faults@example.com",
        "card_number": card,
        "idempotency_key": key,
    }});
    // A failpoint fires only on the victim: every purchase starts there (retries go on to
    // whichever instance is up).
    if matches!(visitor.sale.plan.fault, Fault::KillAt(_)) {
        visitor.instance = 0;
    }
    let mut last = String::from("never answered");
    loop {
        if visitor.late() {
            return Answer::Unknown(last);
        }
        let reply = visitor.post("purchase", body.clone()).await;
        last = reply.short();
        let pause = match (&reply, reply.error()) {
            (Reply::Status(200, order), _) => {
                return Answer::Bought(order["code"].as_str().unwrap_or("?").to_string());
            }
            (Reply::Status(402, _), _)
            | (Reply::Status(409, _), "seat_taken" | "hold_expired")
            | (Reply::Status(403, _), "not_your_hold") => {
                return Answer::Refused(reply.describe());
            }
            (Reply::Status(503, body), "payment_pending") => {
                let after = body["retry_after_ms"].as_u64().unwrap_or(200);
                Duration::from_millis(after.clamp(50, 300))
            }
            (Reply::Status(409, _), "purchase_in_progress") => Duration::from_millis(150),
            (Reply::Transport, _) => RETRY_PAUSE,
            (Reply::Status(status, _), _) if *status >= 500 => RETRY_PAUSE,
            _ => return Answer::Unexpected(reply.describe()),
        };
        // Any live instance will do: try the other one next.
        visitor.flip();
        tokio::time::sleep(pause).await;
    }
}

/// Joins the line for the party the buyer wanted, then waits for an offer, leaving if the
/// plan says so. `None` if no place was ever acknowledged. The buyer stops counting as busy
/// once it waits (`busy` is dropped then).
async fn wait_in_line(
    visitor: &mut Visitor,
    plan: &BuyerPlan,
    purchases: &mut Vec<Purchase>,
    busy: Busy<'_>,
) -> Option<LineLog> {
    let sale = visitor.sale.clone();
    let body = json!({ "showtime_id": sale.showtime, "party": plan.seats.len() });
    let mut joined_at_ms = None;
    for _ in 0..3 {
        let reply = visitor
            .post_until_answered("line/join", body.clone())
            .await?;
        match (&reply, reply.error()) {
            (Reply::Status(200, _), _) | (_, "already_in_line") => {
                joined_at_ms = Some(sale.ms());
                break;
            }
            (_, "holding_seats") => {
                let release = json!({ "showtime_id": sale.showtime });
                visitor.post_until_answered("release_all", release).await?;
            }
            // Seats freed up meanwhile; this buyer stays out of the line rather than
            // starting over (enough others buy).
            (_, "seats_available") => return None,
            _ => {
                visitor.anomaly("line/join", &reply);
                return None;
            }
        }
    }
    let joined_at_ms = joined_at_ms?;
    let mut log = LineLog {
        joined_at_ms,
        left: Left::No,
        offer_seen: false,
    };
    sale.waiting.fetch_add(1, Ordering::SeqCst);
    drop(busy);
    let leave_at = plan.leaves_after_ms.map(|ms| joined_at_ms + ms);
    let mut over = sale.over.clone();
    let path = format!("/api/seat_map?showtime_id={}", sale.showtime);
    loop {
        if *over.borrow() || visitor.late() {
            break;
        }
        if leave_at.is_some_and(|at| sale.ms() >= at) {
            let leave = json!({ "showtime_id": sale.showtime });
            log.left = match visitor.post_until_answered("line/leave", leave).await {
                Some(Reply::Status(200, _)) => Left::Yes,
                _ => Left::Maybe,
            };
            break;
        }
        match visitor.get(&path).await {
            Reply::Status(200, map) if map["offer"] == true => {
                log.offer_seen = true;
                let _busy = Busy::new(&sale.busy);
                sale.waiting.fetch_sub(1, Ordering::SeqCst);
                take_offer(visitor, plan, &map, purchases, &mut log).await;
                return Some(log);
            }
            Reply::Status(200, _) => {}
            _ => visitor.flip(),
        }
        tokio::select! {
            _ = tokio::time::sleep(LINE_POLL) => {}
            _ = over.changed() => {}
        }
    }
    sale.waiting.fetch_sub(1, Ordering::SeqCst);
    Some(log)
}

async fn take_offer(
    visitor: &mut Visitor,
    plan: &BuyerPlan,
    map: &Value,
    purchases: &mut Vec<Purchase>,
    log: &mut LineLog,
) {
    let sale = visitor.sale.clone();
    match plan.on_offer {
        OnOffer::Buy => {
            let seats: Vec<i64> = map["hold"]["seat_ids"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            let key = format!("fault-{}-{}-offer", sale.plan.seed, plan.index);
            let answer = purchase(visitor, &seats, GOOD_CARD, &key).await;
            purchases.push(Purchase {
                buyer: plan.index,
                key,
                answer,
            });
        }
        OnOffer::Decline => {
            let decline = json!({ "showtime_id": sale.showtime });
            log.left = match visitor.post_until_answered("line/decline", decline).await {
                Some(Reply::Status(200, _)) => Left::Yes,
                _ => Left::Maybe,
            };
        }
        OnOffer::Keep => {}
    }
}
