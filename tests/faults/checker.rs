//! The offline checker: given what Postgres, the test gateway's ledger, every live seat map
//! and the buyers themselves say after recovery, list every broken promise.
//!
//! It is a pure function over [`Facts`], so its unit tests (below) can hand it violating data
//! and prove that each check fails when it should. The invariants:
//!
//! 1. every captured charge has exactly one order with its `charge_id`, and that order is
//!    fulfilled (for the same amount); a refunded charge's order is refunded or failed;
//! 2. no paid or fulfilled order without a captured charge;
//! 3. after recovery no order is left `pending` or `paid`;
//! 4. no seat of a showtime is in two paid or fulfilled orders, and an order that failed or
//!    was refunded holds no active ticket (the seat would be lost for good);
//! 5. every instance's live map (WebSocket snapshot and `GET /api/seat_map`) shows exactly
//!    the sold seats as sold;
//! 6. a purchase answered `200` is fulfilled; one answered with a refusal sold nothing;
//!    a faithful retry is never `idempotency_mismatch`, and no hold, join or purchase gets
//!    an answer outside the contract (docs/api.md);
//! 7. whoever got a place in line and did not leave is still in line or was served: holds
//!    the seats offered (offers outlast a scenario) or bought them. Having seen an offer is
//!    not enough: an offer that vanished unbought and undeclined is a lost place. Exempt: a
//!    `FLUSHALL` (the line is documented to be lost) and joins acknowledged within
//!    [`AOF_WINDOW_MS`] before Redis was killed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Writes Redis acknowledged this long before a `kill -9` may be lost (`appendfsync
/// everysec`: up to about two seconds).
pub const AOF_WINDOW_MS: u64 = 2000;

/// One row of `test_gateway_charges`.
#[derive(Debug, Clone)]
pub struct Charge {
    pub idempotency_key: String,
    pub charge_id: Option<String>,
    pub amount_cents: i64,
    /// `captured`, `refunded` or `voided`.
    pub status: String,
}

/// One order with its tickets.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: i64,
    pub showtime_id: i64,
    /// `pending`, `paid`, `fulfilled`, `failed` or `refunded`.
    pub status: String,
    /// The client's idempotency key.
    pub idempotency_key: String,
    pub payment_key: Option<String>,
    pub charge_id: Option<String>,
    pub session_id: String,
    pub total_cents: i64,
    /// `(seat_id, active)`.
    pub tickets: Vec<(i64, bool)>,
}

impl Order {
    fn sells(&self) -> bool {
        matches!(self.status.as_str(), "paid" | "fulfilled")
    }

    fn dead(&self) -> bool {
        matches!(self.status.as_str(), "failed" | "refunded")
    }
}

/// The sold seats one view of one instance shows.
#[derive(Debug, Clone)]
pub struct MapView {
    /// e.g. "victim ws", "healthy seat_map".
    pub source: String,
    pub showtime_id: i64,
    /// `None` when the view could not be read at all.
    pub sold: Option<BTreeSet<i64>>,
}

/// What one purchase attempt (one idempotency key) was finally told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `200` with this order code.
    Bought(String),
    /// A final refusal (`402`, `409 seat_taken`/`hold_expired`, `403 not_your_hold`).
    Refused(String),
    /// Still retrying when the deadline came (the last answer): no claim either way.
    Unknown(String),
    /// An answer the contract does not allow for a faithful retry.
    Unexpected(String),
}

/// An answer outside the contract to a request other than a purchase.
#[derive(Debug, Clone)]
pub struct Anomaly {
    pub buyer: usize,
    /// The request and its answer, e.g. `hold_seats: 400 {…}`.
    pub what: String,
}

#[derive(Debug, Clone)]
pub struct Purchase {
    pub buyer: usize,
    pub key: String,
    pub answer: Answer,
}

/// Whether a leave request got through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    No,
    Yes,
    /// The request failed in transit: it may or may not have happened.
    Maybe,
}

/// One person who was acknowledged a place in line.
#[derive(Debug, Clone)]
pub struct LineMember {
    pub buyer: usize,
    pub session_id: String,
    /// When the join (or `already_in_line`) was acknowledged, from the start of the sale.
    pub joined_at_ms: u64,
    pub left: Left,
    /// An offer was seen during the sale (polling `seat_map`); for the summary only: being
    /// offered seats that then vanish is no service.
    pub offer_seen: bool,
    /// After recovery: in line (`GET /api/line/place` not null).
    pub in_line_now: bool,
    /// After recovery: holds seats (an offer, or seats they held from it).
    pub holds_now: bool,
    /// Whether their place and seat map could be read after recovery.
    pub read_ok: bool,
}

/// What happened to Redis, which decides what the line may have lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisLoss {
    None,
    Flushed,
    /// Killed this long after the start of the sale.
    Killed {
        at_ms: u64,
    },
}

/// Everything the checker looks at.
#[derive(Debug, Clone)]
pub struct Facts {
    /// `None`: the test gateway keeps no ledger (the table does not exist).
    pub ledger: Option<Vec<Charge>>,
    pub orders: Vec<Order>,
    pub maps: Vec<MapView>,
    pub purchases: Vec<Purchase>,
    pub anomalies: Vec<Anomaly>,
    pub line: Vec<LineMember>,
    pub redis_loss: RedisLoss,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The scenario could not be run or read (not a verdict on the server, but not a pass).
    Harness {
        error: String,
    },
    /// An instance died without the scenario killing it.
    Crashed {
        name: String,
    },
    NoLedger,
    CaptureNotFulfilledOnce {
        charge_id: String,
        orders: Vec<(i64, String)>,
    },
    CaptureAmount {
        charge_id: String,
        charged: i64,
        order: i64,
        total: i64,
    },
    RefundedButSold {
        charge_id: String,
        order: i64,
        status: String,
    },
    SoldWithoutCapture {
        order: i64,
        status: String,
        charge_id: Option<String>,
    },
    Unresolved {
        order: i64,
        status: String,
    },
    SoldTwice {
        showtime_id: i64,
        seat: i64,
        orders: Vec<i64>,
    },
    DeadOrderKeepsSeat {
        order: i64,
        status: String,
        seat: i64,
    },
    MapUnreadable {
        source: String,
    },
    SoldNotShown {
        source: String,
        seats: Vec<i64>,
    },
    ShownSoldNotSold {
        source: String,
        seats: Vec<i64>,
    },
    ToldBoughtNotFulfilled {
        buyer: usize,
        key: String,
        status: Option<String>,
    },
    ToldRefusedButSold {
        buyer: usize,
        key: String,
        answer: String,
        order: i64,
    },
    UnexpectedAnswer {
        buyer: usize,
        key: String,
        answer: String,
    },
    LostPlaceInLine {
        buyer: usize,
        joined_at_ms: u64,
    },
    LineUnreadable {
        buyer: usize,
    },
}

impl Violation {
    /// A short name for summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Harness { .. } => "harness error",
            Self::Crashed { .. } => "instance died unasked",
            Self::NoLedger => "no gateway ledger",
            Self::CaptureNotFulfilledOnce { .. } => "capture without exactly one fulfilled order",
            Self::CaptureAmount { .. } => "capture amount differs from order total",
            Self::RefundedButSold { .. } => "refunded charge, order still sells",
            Self::SoldWithoutCapture { .. } => "paid/fulfilled order without a capture",
            Self::Unresolved { .. } => "order left pending/paid after recovery",
            Self::SoldTwice { .. } => "seat sold twice",
            Self::DeadOrderKeepsSeat { .. } => "failed/refunded order keeps an active ticket",
            Self::MapUnreadable { .. } => "live map unreadable after recovery",
            Self::SoldNotShown { .. } => "sold seat not shown sold",
            Self::ShownSoldNotSold { .. } => "seat shown sold but not sold",
            Self::ToldBoughtNotFulfilled { .. } => "buyer told bought, order not fulfilled",
            Self::ToldRefusedButSold { .. } => "buyer told refused, order sells",
            Self::UnexpectedAnswer { .. } => "answer outside the contract",
            Self::LostPlaceInLine { .. } => "lost place in line",
            Self::LineUnreadable { .. } => "line place unreadable after recovery",
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.kind())?;
        match self {
            Self::Harness { error } => write!(f, "{error}"),
            Self::Crashed { name } => write!(f, "{name}"),
            Self::NoLedger => write!(f, "table test_gateway_charges missing; captures unchecked"),
            Self::CaptureNotFulfilledOnce { charge_id, orders } => {
                write!(f, "charge {charge_id}, orders {orders:?}")
            }
            Self::CaptureAmount {
                charge_id,
                charged,
                order,
                total,
            } => write!(f, "charge {charge_id} {charged} ¢, order {order} {total} ¢"),
            Self::RefundedButSold {
                charge_id,
                order,
                status,
            } => write!(f, "charge {charge_id}, order {order} is {status}"),
            Self::SoldWithoutCapture {
                order,
                status,
                charge_id,
            } => write!(f, "order {order} is {status}, charge {charge_id:?}"),
            Self::Unresolved { order, status } => write!(f, "order {order} is {status}"),
            Self::SoldTwice {
                showtime_id,
                seat,
                orders,
            } => write!(f, "showtime {showtime_id} seat {seat} in orders {orders:?}"),
            Self::DeadOrderKeepsSeat {
                order,
                status,
                seat,
            } => write!(f, "order {order} ({status}) seat {seat}"),
            Self::MapUnreadable { source } => write!(f, "{source}"),
            Self::SoldNotShown { source, seats } | Self::ShownSoldNotSold { source, seats } => {
                write!(f, "{source}: seats {seats:?}")
            }
            Self::ToldBoughtNotFulfilled { buyer, key, status } => {
                write!(f, "buyer {buyer} key {key}: order {status:?}")
            }
            Self::ToldRefusedButSold {
                buyer,
                key,
                answer,
                order,
            } => write!(
                f,
                "buyer {buyer} key {key} told {answer}, order {order} sells"
            ),
            Self::UnexpectedAnswer { buyer, key, answer } => {
                write!(f, "buyer {buyer} key {key}: {answer}")
            }
            Self::LostPlaceInLine {
                buyer,
                joined_at_ms,
            } => write!(f, "buyer {buyer}, joined at {joined_at_ms} ms"),
            Self::LineUnreadable { buyer } => write!(f, "buyer {buyer}"),
        }
    }
}

/// Every violation the facts show, in a stable order.
pub fn check(facts: &Facts) -> Vec<Violation> {
    let mut found = Vec::new();
    check_money(facts, &mut found);
    check_orders(facts, &mut found);
    check_seats(facts, &mut found);
    check_maps(facts, &mut found);
    check_answers(facts, &mut found);
    check_line(facts, &mut found);
    found
}

/// Invariants 1 and 2: money and orders agree.
fn check_money(facts: &Facts, found: &mut Vec<Violation>) {
    let Some(ledger) = &facts.ledger else {
        found.push(Violation::NoLedger);
        return;
    };
    // An order belongs to a charge by the gateway's reference or by the payment key the
    // server derived for it; either way, there must be just one.
    let orders_of = |charge: &Charge| -> Vec<&Order> {
        facts
            .orders
            .iter()
            .filter(|o| {
                o.charge_id.is_some() && o.charge_id == charge.charge_id
                    || o.payment_key.as_deref() == Some(charge.idempotency_key.as_str())
            })
            .collect()
    };
    for charge in ledger {
        let Some(id) = charge.charge_id.as_deref() else {
            continue; // voided before any capture: no money moved
        };
        let orders = orders_of(charge);
        match charge.status.as_str() {
            "captured" => {
                let fulfilled: Vec<&&Order> = orders
                    .iter()
                    .filter(|o| o.status == "fulfilled" && o.charge_id.as_deref() == Some(id))
                    .collect();
                if fulfilled.len() != 1 || orders.len() != 1 {
                    found.push(Violation::CaptureNotFulfilledOnce {
                        charge_id: id.to_string(),
                        orders: orders.iter().map(|o| (o.id, o.status.clone())).collect(),
                    });
                } else if fulfilled[0].total_cents != charge.amount_cents {
                    found.push(Violation::CaptureAmount {
                        charge_id: id.to_string(),
                        charged: charge.amount_cents,
                        order: fulfilled[0].id,
                        total: fulfilled[0].total_cents,
                    });
                }
            }
            "refunded" => {
                for order in orders.iter().filter(|o| !o.dead()) {
                    found.push(Violation::RefundedButSold {
                        charge_id: id.to_string(),
                        order: order.id,
                        status: order.status.clone(),
                    });
                }
            }
            _ => {}
        }
    }
    let captured: BTreeSet<&str> = ledger
        .iter()
        .filter(|c| c.status == "captured")
        .filter_map(|c| c.charge_id.as_deref())
        .collect();
    for order in facts.orders.iter().filter(|o| o.sells()) {
        let backed = order
            .charge_id
            .as_deref()
            .is_some_and(|id| captured.contains(id));
        if !backed {
            found.push(Violation::SoldWithoutCapture {
                order: order.id,
                status: order.status.clone(),
                charge_id: order.charge_id.clone(),
            });
        }
    }
}

/// Invariant 3: recovery finished every payment.
fn check_orders(facts: &Facts, found: &mut Vec<Violation>) {
    for order in &facts.orders {
        if matches!(order.status.as_str(), "pending" | "paid") {
            found.push(Violation::Unresolved {
                order: order.id,
                status: order.status.clone(),
            });
        }
    }
}

/// The seats Postgres says are sold, per showtime.
fn sold_seats(facts: &Facts) -> BTreeMap<i64, BTreeMap<i64, Vec<i64>>> {
    let mut sold: BTreeMap<i64, BTreeMap<i64, Vec<i64>>> = BTreeMap::new();
    for order in facts.orders.iter().filter(|o| o.sells()) {
        for (seat, _) in &order.tickets {
            sold.entry(order.showtime_id)
                .or_default()
                .entry(*seat)
                .or_default()
                .push(order.id);
        }
    }
    sold
}

/// Invariant 4: one owner per seat, and no seat kept by an order that sold nothing.
fn check_seats(facts: &Facts, found: &mut Vec<Violation>) {
    for (showtime_id, seats) in sold_seats(facts) {
        for (seat, orders) in seats {
            if orders.len() > 1 {
                found.push(Violation::SoldTwice {
                    showtime_id,
                    seat,
                    orders,
                });
            }
        }
    }
    for order in facts.orders.iter().filter(|o| o.dead()) {
        for (seat, active) in &order.tickets {
            if *active {
                found.push(Violation::DeadOrderKeepsSeat {
                    order: order.id,
                    status: order.status.clone(),
                    seat: *seat,
                });
            }
        }
    }
}

/// Invariant 5: every live map agrees with Postgres about sold seats.
fn check_maps(facts: &Facts, found: &mut Vec<Violation>) {
    let sold = sold_seats(facts);
    for map in &facts.maps {
        let Some(shown) = &map.sold else {
            found.push(Violation::MapUnreadable {
                source: map.source.clone(),
            });
            continue;
        };
        let truth: BTreeSet<i64> = sold
            .get(&map.showtime_id)
            .map(|s| s.keys().copied().collect())
            .unwrap_or_default();
        let missing: Vec<i64> = truth.difference(shown).copied().collect();
        if !missing.is_empty() {
            found.push(Violation::SoldNotShown {
                source: map.source.clone(),
                seats: missing,
            });
        }
        let extra: Vec<i64> = shown.difference(&truth).copied().collect();
        if !extra.is_empty() {
            found.push(Violation::ShownSoldNotSold {
                source: map.source.clone(),
                seats: extra,
            });
        }
    }
}

/// Invariant 6: what buyers were told is what happened.
fn check_answers(facts: &Facts, found: &mut Vec<Violation>) {
    for purchase in &facts.purchases {
        // A key may have failed attempts before its live order (a failed attempt gives the
        // key back): judge the live one.
        let under_key = || {
            facts
                .orders
                .iter()
                .filter(|o| o.idempotency_key == purchase.key)
        };
        let order = under_key()
            .find(|o| o.status != "failed")
            .or_else(|| under_key().next());
        match &purchase.answer {
            Answer::Bought(_) => {
                if order.is_none_or(|o| o.status != "fulfilled") {
                    found.push(Violation::ToldBoughtNotFulfilled {
                        buyer: purchase.buyer,
                        key: purchase.key.clone(),
                        status: order.map(|o| o.status.clone()),
                    });
                }
            }
            Answer::Refused(answer) => {
                if let Some(order) = order.filter(|o| o.sells()) {
                    found.push(Violation::ToldRefusedButSold {
                        buyer: purchase.buyer,
                        key: purchase.key.clone(),
                        answer: answer.clone(),
                        order: order.id,
                    });
                }
            }
            Answer::Unexpected(answer) => found.push(Violation::UnexpectedAnswer {
                buyer: purchase.buyer,
                key: purchase.key.clone(),
                answer: answer.clone(),
            }),
            Answer::Unknown(_) => {}
        }
    }
    for anomaly in &facts.anomalies {
        let (key, answer) = anomaly
            .what
            .split_once(": ")
            .unwrap_or((anomaly.what.as_str(), ""));
        found.push(Violation::UnexpectedAnswer {
            buyer: anomaly.buyer,
            key: key.to_string(),
            answer: answer.to_string(),
        });
    }
}

/// Invariant 7: nobody loses their place in line without being served or leaving.
fn check_line(facts: &Facts, found: &mut Vec<Violation>) {
    if facts.redis_loss == RedisLoss::Flushed {
        return;
    }
    for member in &facts.line {
        if member.left != Left::No {
            continue;
        }
        if let RedisLoss::Killed { at_ms } = facts.redis_loss
            && member.joined_at_ms <= at_ms
            && at_ms - member.joined_at_ms <= AOF_WINDOW_MS
        {
            continue;
        }
        let bought = facts
            .orders
            .iter()
            .any(|o| o.session_id == member.session_id && o.sells());
        if bought {
            continue;
        }
        if !member.read_ok {
            found.push(Violation::LineUnreadable {
                buyer: member.buyer,
            });
        } else if !member.in_line_now && !member.holds_now {
            found.push(Violation::LostPlaceInLine {
                buyer: member.buyer,
                joined_at_ms: member.joined_at_ms,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOWTIME: i64 = 7;

    fn order(id: i64, status: &str, charge: Option<&str>, seats: &[i64]) -> Order {
        let active = !matches!(status, "failed" | "refunded");
        Order {
            id,
            showtime_id: SHOWTIME,
            status: status.into(),
            idempotency_key: format!("key-{id}"),
            payment_key: Some(format!("pay-{id}")),
            charge_id: charge.map(String::from),
            session_id: format!("session-{id}"),
            total_cents: 1250 * seats.len() as i64,
            tickets: seats.iter().map(|s| (*s, active)).collect(),
        }
    }

    fn charge(id: i64, status: &str, amount: i64) -> Charge {
        Charge {
            idempotency_key: format!("pay-{id}"),
            charge_id: (status != "voided").then(|| format!("ch_{id}")),
            amount_cents: amount,
            status: status.into(),
        }
    }

    fn map(source: &str, sold: &[i64]) -> MapView {
        MapView {
            source: source.into(),
            showtime_id: SHOWTIME,
            sold: Some(sold.iter().copied().collect()),
        }
    }

    fn member(buyer: usize, joined_at_ms: u64) -> LineMember {
        LineMember {
            buyer,
            session_id: format!("line-{buyer}"),
            joined_at_ms,
            left: Left::No,
            offer_seen: false,
            in_line_now: true,
            holds_now: false,
            read_ok: true,
        }
    }

    /// A sale after recovery that keeps every promise: two fulfilled orders, one refunded
    /// (its seat lost to the fence), one failed before any capture, a voided key, two people
    /// in line (one still waiting, one served), and buyers told the truth.
    fn clean() -> Facts {
        let mut refunded = order(3, "refunded", Some("ch_3"), &[12]);
        refunded.tickets = vec![(12, false)];
        Facts {
            ledger: Some(vec![
                charge(1, "captured", 2500),
                charge(2, "captured", 1250),
                charge(3, "refunded", 1250),
                charge(4, "voided", 1250),
            ]),
            orders: vec![
                order(1, "fulfilled", Some("ch_1"), &[10, 11]),
                order(2, "fulfilled", Some("ch_2"), &[12]),
                refunded,
                order(4, "failed", None, &[13]),
            ],
            maps: vec![
                map("victim ws", &[10, 11, 12]),
                map("healthy seat_map", &[10, 11, 12]),
            ],
            purchases: vec![
                Purchase {
                    buyer: 1,
                    key: "key-1".into(),
                    answer: Answer::Bought("CODE1".into()),
                },
                Purchase {
                    buyer: 3,
                    key: "key-3".into(),
                    answer: Answer::Refused("409 seat_taken".into()),
                },
                Purchase {
                    buyer: 5,
                    key: "key-5".into(),
                    answer: Answer::Unknown("503 payment_pending".into()),
                },
            ],
            anomalies: vec![],
            line: vec![
                member(6, 500),
                LineMember {
                    offer_seen: true,
                    in_line_now: false,
                    holds_now: true,
                    ..member(7, 400)
                },
            ],
            redis_loss: RedisLoss::None,
        }
    }

    fn kinds(facts: &Facts) -> Vec<&'static str> {
        check(facts).iter().map(Violation::kind).collect()
    }

    #[test]
    fn a_clean_sale_passes() {
        assert_eq!(check(&clean()), vec![]);
    }

    #[test]
    fn a_capture_without_an_order_is_caught() {
        let mut facts = clean();
        facts
            .ledger
            .as_mut()
            .unwrap()
            .push(charge(9, "captured", 1250));
        assert_eq!(
            check(&facts),
            vec![Violation::CaptureNotFulfilledOnce {
                charge_id: "ch_9".into(),
                orders: vec![],
            }]
        );
    }

    #[test]
    fn a_capture_with_two_orders_is_caught() {
        let mut facts = clean();
        let mut twin = order(5, "fulfilled", Some("ch_1"), &[20]);
        twin.total_cents = 2500;
        facts.orders.push(twin);
        let found = kinds(&facts);
        assert!(
            found.contains(&"capture without exactly one fulfilled order"),
            "{found:?}"
        );
    }

    #[test]
    fn a_capture_whose_order_failed_is_caught() {
        let mut facts = clean();
        facts.orders[1].status = "failed".into();
        facts.orders[1].tickets = vec![(12, false)];
        let found = kinds(&facts);
        assert!(
            found.contains(&"capture without exactly one fulfilled order"),
            "{found:?}"
        );
        // Its seat is no longer sold, but the maps still say so.
        assert!(found.contains(&"seat shown sold but not sold"), "{found:?}");
    }

    #[test]
    fn a_capture_for_another_amount_is_caught() {
        let mut facts = clean();
        facts.ledger.as_mut().unwrap()[0].amount_cents = 999;
        assert_eq!(
            kinds(&facts),
            vec!["capture amount differs from order total"]
        );
    }

    #[test]
    fn a_refunded_charge_whose_order_still_sells_is_caught() {
        let mut facts = clean();
        facts.ledger.as_mut().unwrap()[1].status = "refunded".into();
        assert_eq!(
            check(&facts),
            vec![
                Violation::RefundedButSold {
                    charge_id: "ch_2".into(),
                    order: 2,
                    status: "fulfilled".into(),
                },
                Violation::SoldWithoutCapture {
                    order: 2,
                    status: "fulfilled".into(),
                    charge_id: Some("ch_2".into()),
                },
            ]
        );
    }

    #[test]
    fn an_order_sold_without_money_is_caught() {
        let mut facts = clean();
        facts.orders[1].charge_id = None;
        let found = kinds(&facts);
        assert!(
            found.contains(&"paid/fulfilled order without a capture"),
            "{found:?}"
        );
        // The voided key's order must not have sold either.
        let mut facts = clean();
        facts.orders[3].status = "fulfilled".into();
        facts.orders[3].tickets = vec![(13, true)];
        let found = kinds(&facts);
        assert!(
            found.contains(&"paid/fulfilled order without a capture"),
            "{found:?}"
        );
    }

    #[test]
    fn a_missing_ledger_is_reported() {
        let mut facts = clean();
        facts.ledger = None;
        assert_eq!(check(&facts), vec![Violation::NoLedger]);
    }

    #[test]
    fn pending_and_paid_orders_after_recovery_are_caught() {
        let mut facts = clean();
        facts.orders.push(order(8, "pending", None, &[30]));
        facts.orders.push(order(9, "paid", None, &[31]));
        let found = kinds(&facts);
        assert_eq!(
            found
                .iter()
                .filter(|k| **k == "order left pending/paid after recovery")
                .count(),
            2,
            "{found:?}"
        );
    }

    #[test]
    fn a_seat_sold_twice_is_caught() {
        let mut facts = clean();
        facts
            .orders
            .push(order(6, "fulfilled", Some("ch_6"), &[11]));
        facts
            .ledger
            .as_mut()
            .unwrap()
            .push(charge(6, "captured", 1250));
        assert_eq!(
            check(&facts),
            vec![Violation::SoldTwice {
                showtime_id: SHOWTIME,
                seat: 11,
                orders: vec![1, 6],
            }]
        );
    }

    #[test]
    fn a_failed_order_that_keeps_its_seat_is_caught() {
        let mut facts = clean();
        facts.orders[3].tickets = vec![(13, true)];
        assert_eq!(
            check(&facts),
            vec![Violation::DeadOrderKeepsSeat {
                order: 4,
                status: "failed".into(),
                seat: 13,
            }]
        );
    }

    #[test]
    fn maps_that_disagree_with_postgres_are_caught() {
        let mut facts = clean();
        facts.maps[0] = map("victim ws", &[10, 11]);
        facts.maps[1] = map("healthy seat_map", &[10, 11, 12, 13]);
        facts.maps.push(MapView {
            source: "victim seat_map".into(),
            showtime_id: SHOWTIME,
            sold: None,
        });
        assert_eq!(
            check(&facts),
            vec![
                Violation::SoldNotShown {
                    source: "victim ws".into(),
                    seats: vec![12],
                },
                Violation::ShownSoldNotSold {
                    source: "healthy seat_map".into(),
                    seats: vec![13],
                },
                Violation::MapUnreadable {
                    source: "victim seat_map".into(),
                },
            ]
        );
    }

    #[test]
    fn buyers_told_something_else_than_what_happened_are_caught() {
        let mut facts = clean();
        // Told bought, but the order failed.
        facts.purchases.push(Purchase {
            buyer: 4,
            key: "key-4".into(),
            answer: Answer::Bought("CODE4".into()),
        });
        // Told refused, but the order sells.
        facts.purchases.push(Purchase {
            buyer: 2,
            key: "key-2".into(),
            answer: Answer::Refused("409 hold_expired".into()),
        });
        facts.purchases.push(Purchase {
            buyer: 9,
            key: "key-9".into(),
            answer: Answer::Unexpected("422 idempotency_mismatch".into()),
        });
        facts.anomalies.push(Anomaly {
            buyer: 8,
            what: "hold_seats: 400 {\"error\":\"bad_input\"}".into(),
        });
        assert_eq!(
            kinds(&facts),
            vec![
                "buyer told bought, order not fulfilled",
                "buyer told refused, order sells",
                "answer outside the contract",
                "answer outside the contract",
            ]
        );
    }

    #[test]
    fn a_lost_place_in_line_is_caught() {
        let mut facts = clean();
        facts.line[0].in_line_now = false;
        assert_eq!(
            check(&facts),
            vec![Violation::LostPlaceInLine {
                buyer: 6,
                joined_at_ms: 500,
            }]
        );
        facts.line[0].read_ok = false;
        assert_eq!(kinds(&facts), vec!["line place unreadable after recovery"]);
    }

    #[test]
    fn leaving_or_being_served_is_not_losing_a_place() {
        let mut facts = clean();
        facts.line[0].in_line_now = false;
        facts.line[0].left = Left::Yes;
        assert_eq!(check(&facts), vec![]);
        facts.line[0].left = Left::Maybe;
        assert_eq!(check(&facts), vec![]);
        facts.line[0].left = Left::No;
        facts.line[0].holds_now = true;
        assert_eq!(check(&facts), vec![]);
        facts.line[0].holds_now = false;
        facts.orders[0].session_id = "line-6".into();
        assert_eq!(check(&facts), vec![]);
    }

    #[test]
    fn an_offer_that_vanished_is_a_lost_place() {
        // Offered seats (seen), then neither holding them nor in line nor an order: the
        // offer was taken away (e.g. its seats were sold to someone else after all).
        let mut facts = clean();
        facts.line[1].holds_now = false;
        assert_eq!(
            check(&facts),
            vec![Violation::LostPlaceInLine {
                buyer: 7,
                joined_at_ms: 400,
            }]
        );
    }

    #[test]
    fn the_documented_redis_losses_excuse_the_line_and_nothing_else() {
        let mut facts = clean();
        facts.line[0].in_line_now = false;
        facts.redis_loss = RedisLoss::Flushed;
        assert_eq!(check(&facts), vec![]);
        // Joined 1.5 s before the kill: inside the append-only file's window.
        facts.redis_loss = RedisLoss::Killed { at_ms: 2000 };
        assert_eq!(check(&facts), vec![]);
        // Joined 2.5 s before: it should have survived.
        facts.redis_loss = RedisLoss::Killed { at_ms: 3000 };
        assert_eq!(kinds(&facts), vec!["lost place in line"]);
        // A flush never excuses a double sale.
        facts.redis_loss = RedisLoss::Flushed;
        facts
            .orders
            .push(order(6, "fulfilled", Some("ch_6"), &[10]));
        facts
            .ledger
            .as_mut()
            .unwrap()
            .push(charge(6, "captured", 1250));
        assert_eq!(kinds(&facts), vec!["seat sold twice"]);
    }
}
