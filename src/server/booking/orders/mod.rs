//! Orders and tickets in Postgres: the system of record for what is sold. Here: making an
//! order and moving it through its states; what a buyer sees of orders is in `views.rs`.

mod views;

use std::time::Duration;

use rand::Rng;
use sqlx::{PgPool, Postgres, Transaction};

use super::showtimes::ShowtimeInfo;
use crate::app::error::AppError;
pub use views::{of_session, view};

/// The index that makes a double sale impossible: one active ticket per seat and showtime (see
/// the payments migration).
pub const TICKET_FENCE: &str = "tickets_seat_fence";
/// One live (not failed) order per client idempotency key.
const IDEMPOTENCY_KEY: &str = "orders_idempotency_key_live";

/// Orders whose tickets are sold: what Redis' sold-seat cache is rebuilt from. A refund in
/// progress (`refunding`, staff) keeps its seats until it is done.
pub const SOLD_STATUSES: &str = "('paid', 'fulfilled', 'refunding')";

/// Crockford's base32 without I, L, O, U: no ambiguous characters to read out at a counter.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 12 characters of 5 bits: 60 bits, far beyond guessing through a rate-limited endpoint.
const CODE_LEN: usize = 12;

pub fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// The key sent to the payment gateway for an order: one per attempt, made on the server.
pub fn payment_key(code: &str) -> String {
    format!("order-{code}")
}

/// Where an order is in its life (see the payments migration for the transitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum OrderStatus {
    /// Written, seats fenced, the card not (known to be) charged.
    Pending,
    /// Charged; the seats may not be marked sold in Redis yet.
    Paid,
    /// Charged and the seats sold everywhere: done.
    Fulfilled,
    /// Not charged (declined, or voided after a lost answer); the seats are free again.
    Failed,
    /// Staff are refunding it: the gateway is being asked; the seats are still taken.
    Refunding,
    /// Charged, then the money given back; the seats are free again.
    Refunded,
}

/// An order as the purchase path and the reconciler see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredOrder {
    pub id: i64,
    pub code: String,
    pub showtime_id: i64,
    pub session_id: String,
    pub request_hash: String,
    pub status: OrderStatus,
    pub payment_key: String,
    pub charge_id: Option<String>,
    pub total_cents: i32,
    /// How long ago the order last changed state, by Postgres' clock (ms).
    pub idle_ms: i64,
}

const STORED: &str = "SELECT id, code, showtime_id, session_id, request_hash, status, payment_key,
                             charge_id, total_cents,
                             (extract(epoch FROM now() - updated_at) * 1000)::bigint AS idle_ms
                        FROM orders";

/// The live (not failed) order made under a client's idempotency key.
pub async fn find_by_key(db: &PgPool, key: &str) -> Result<Option<StoredOrder>, AppError> {
    Ok(
        sqlx::query_as::<_, StoredOrder>(sqlx::AssertSqlSafe(format!(
            "{STORED} WHERE idempotency_key = $1 AND status <> 'failed'"
        )))
        .bind(key)
        .fetch_optional(db)
        .await?,
    )
}

pub async fn find(db: &PgPool, id: i64) -> Result<StoredOrder, AppError> {
    Ok(
        sqlx::query_as::<_, StoredOrder>(sqlx::AssertSqlSafe(format!("{STORED} WHERE id = $1")))
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

/// The seats an order's tickets are (or were) for.
pub async fn seats_of(db: &PgPool, order: i64) -> Result<Vec<i64>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT seat_id FROM tickets WHERE order_id = $1 ORDER BY seat_id")
            .bind(order)
            .fetch_all(db)
            .await?,
    )
}

/// Orders the reconciler must finish: pending longer than `pending_for` (their purchase is
/// gone), and paid but not fulfilled for longer than `paid_for`.
pub async fn unsettled(
    db: &PgPool,
    pending_for: Duration,
    paid_for: Duration,
) -> Result<Vec<StoredOrder>, AppError> {
    Ok(
        sqlx::query_as::<_, StoredOrder>(sqlx::AssertSqlSafe(format!(
            "{STORED} WHERE (status = 'pending' AND updated_at < now() - make_interval(secs => $1))
                     OR (status = 'paid' AND updated_at < now() - make_interval(secs => $2))
          ORDER BY id LIMIT 500"
        )))
        .bind(pending_for.as_secs_f64())
        .bind(paid_for.as_secs_f64())
        .fetch_all(db)
        .await?,
    )
}

pub struct NewOrder<'a> {
    pub showtime: &'a ShowtimeInfo,
    pub seats: &'a [i64],
    pub session: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub card_last4: &'a str,
    pub idempotency_key: &'a str,
    pub request_hash: &'a str,
}

#[derive(Debug)]
pub enum BeginOutcome {
    /// The pending order, its tickets holding the seats.
    Created(StoredOrder),
    /// The fence: these seats already have tickets (sold, or in someone's payment).
    SeatsTaken(Vec<i64>),
    /// Another attempt holds a live order under the same idempotency key.
    DuplicateKey,
}

/// Step one of a purchase, before any money moves: the pending order and its tickets, in one
/// transaction. The tickets take the seats in Postgres now, so a charge is only ever made
/// for seats that are certainly the buyer's.
#[tracing::instrument(skip(db, order), fields(showtime = order.showtime.id))]
pub async fn begin(db: &PgPool, order: NewOrder<'_>) -> Result<BeginOutcome, AppError> {
    let mut tx = db.begin().await?;
    let code = new_code();
    let total = order.showtime.total_cents(order.seats);
    let inserted = sqlx::query_as::<_, StoredOrder>(
        "INSERT INTO orders (code, showtime_id, session_id, buyer_name, buyer_email, total_cents,
                             card_last4, idempotency_key, request_hash, payment_key, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending')
         RETURNING id, code, showtime_id, session_id, request_hash, status, payment_key,
                   charge_id, total_cents, 0::bigint AS idle_ms",
    )
    .bind(&code)
    .bind(order.showtime.id)
    .bind(order.session)
    .bind(order.name)
    .bind(order.email)
    .bind(i32::try_from(total).map_err(|_| AppError::bad_input("order total too large"))?)
    .bind(order.card_last4)
    .bind(order.idempotency_key)
    .bind(order.request_hash)
    .bind(payment_key(&code))
    .fetch_one(&mut *tx)
    .await;
    let stored = match inserted {
        Ok(stored) => stored,
        Err(error) if violates(&error, IDEMPOTENCY_KEY) => return Ok(BeginOutcome::DuplicateKey),
        Err(error) => return Err(error.into()),
    };
    match insert_tickets(&mut tx, stored.id, order.showtime, order.seats).await {
        Ok(()) => {}
        Err(error) if violates(&error, TICKET_FENCE) => {
            tx.rollback().await?;
            let taken: Vec<i64> = sqlx::query_scalar(
                "SELECT seat_id FROM tickets
                  WHERE showtime_id = $1 AND seat_id = ANY($2) AND active",
            )
            .bind(order.showtime.id)
            .bind(order.seats)
            .fetch_all(db)
            .await?;
            return Ok(BeginOutcome::SeatsTaken(taken));
        }
        Err(error) => return Err(error.into()),
    }
    tx.commit().await?;
    Ok(BeginOutcome::Created(stored))
}

/// pending → paid, with the gateway's reference. Returns the order's status afterwards (a
/// status other than `Paid` means someone else settled it first).
pub async fn mark_paid(db: &PgPool, order: i64, charge_id: &str) -> Result<OrderStatus, AppError> {
    Transition {
        set: "status = 'paid', charge_id = $2",
        when: "status = 'pending'",
        value: Some(charge_id),
        frees_seats: false,
    }
    .apply(db, order)
    .await
}

/// paid → fulfilled: the seats are sold in Redis too.
pub async fn mark_fulfilled(db: &PgPool, order: i64) -> Result<OrderStatus, AppError> {
    Transition {
        set: "status = 'fulfilled'",
        when: "status = 'paid'",
        value: None,
        frees_seats: false,
    }
    .apply(db, order)
    .await
}

/// pending → failed: nothing was charged; the tickets let go of their seats.
pub async fn mark_failed(db: &PgPool, order: i64, reason: &str) -> Result<OrderStatus, AppError> {
    Transition {
        set: "status = 'failed', failure = $2",
        when: "status = 'pending'",
        value: Some(reason),
        frees_seats: true,
    }
    .apply(db, order)
    .await
}

/// A charge that must not stand was refunded: the order is `refunded` (from paid, or from
/// failed when a capture arrived after the order had given up), its tickets free.
pub async fn mark_refunded(
    db: &PgPool,
    order: i64,
    charge_id: &str,
) -> Result<OrderStatus, AppError> {
    Transition {
        set: "status = 'refunded', charge_id = $2",
        when: "status IN ('pending', 'paid', 'failed')",
        value: Some(charge_id),
        frees_seats: true,
    }
    .apply(db, order)
    .await
}

/// One conditional change of status, in one transaction with what it implies for the
/// tickets: `set` applies only when `when` holds.
struct Transition<'a> {
    set: &'static str,
    when: &'static str,
    /// `$2` of `set`, when it has one.
    value: Option<&'a str>,
    /// The order's tickets stop holding their seats.
    frees_seats: bool,
}

impl Transition<'_> {
    /// The order's status afterwards, changed or not.
    async fn apply(self, db: &PgPool, order: i64) -> Result<OrderStatus, AppError> {
        let mut tx = db.begin().await?;
        let update = format!(
            "UPDATE orders SET {}, updated_at = now() WHERE id = $1 AND {} RETURNING status",
            self.set, self.when
        );
        let mut update =
            sqlx::query_scalar::<_, OrderStatus>(sqlx::AssertSqlSafe(update)).bind(order);
        if let Some(value) = self.value {
            update = update.bind(value);
        }
        let status = match update.fetch_optional(&mut *tx).await? {
            Some(status) => {
                if self.frees_seats {
                    sqlx::query("UPDATE tickets SET active = false WHERE order_id = $1")
                        .bind(order)
                        .execute(&mut *tx)
                        .await?;
                }
                status
            }
            None => {
                sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
                    .bind(order)
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        tx.commit().await?;
        Ok(status)
    }
}

pub(crate) async fn insert_tickets(
    tx: &mut Transaction<'_, Postgres>,
    order_id: i64,
    showtime: &ShowtimeInfo,
    seats: &[i64],
) -> Result<(), sqlx::Error> {
    let prices: Vec<i32> = seats
        .iter()
        .map(|id| {
            showtime
                .seats
                .get(id)
                .map_or(0, |s| i32::try_from(s.price_cents).unwrap_or(i32::MAX))
        })
        .collect();
    sqlx::query(
        "INSERT INTO tickets (order_id, showtime_id, seat_id, price_cents)
         SELECT $1, $2, seat, price FROM UNNEST($3::bigint[], $4::int[]) AS t (seat, price)",
    )
    .bind(order_id)
    .bind(showtime.id)
    .bind(seats)
    .bind(&prices)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether `error` is a violation of the named constraint or unique index (by name, never by
/// message).
pub(crate) fn violates(error: &sqlx::Error, constraint: &str) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.constraint())
        .is_some_and(|c| c == constraint)
}
