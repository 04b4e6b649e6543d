//! Orders and tickets in Postgres: the system of record for what is sold.

use rand::Rng;
use sqlx::{PgPool, Postgres, Transaction};

use super::showtimes::{ShowtimeCache, ShowtimeInfo};
use crate::app::booking::{OrderSeat, OrderView};
use crate::app::catalog::SeatKind;
use crate::app::error::AppError;

/// The constraint that makes a double sale impossible (see the orders migration).
pub const TICKET_FENCE: &str = "tickets_showtime_id_seat_id_key";
const IDEMPOTENCY_KEY: &str = "orders_idempotency_key_key";

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

#[derive(Debug, sqlx::FromRow)]
pub struct StoredOrder {
    pub code: String,
    pub session_id: String,
    pub request_hash: String,
}

pub async fn find_by_key(db: &PgPool, key: &str) -> Result<Option<StoredOrder>, AppError> {
    Ok(sqlx::query_as::<_, StoredOrder>(
        "SELECT code, session_id, request_hash FROM orders WHERE idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(db)
    .await?)
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
pub enum InsertOutcome {
    Created {
        code: String,
    },
    /// The fence: these seats already have tickets.
    SeatsTaken(Vec<i64>),
    /// Another request committed an order under the same idempotency key first.
    DuplicateKey,
}

/// Inserts the order and its tickets in one transaction.
#[tracing::instrument(skip(db, order), fields(showtime = order.showtime.id))]
pub async fn insert(db: &PgPool, order: NewOrder<'_>) -> Result<InsertOutcome, AppError> {
    let mut tx = db.begin().await?;
    let code = new_code();
    let total = order.showtime.total_cents(order.seats);
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO orders (code, showtime_id, session_id, buyer_name, buyer_email, total_cents,
                             card_last4, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
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
    .fetch_one(&mut *tx)
    .await;
    let order_id = match inserted {
        Ok(id) => id,
        Err(error) if violates(&error, IDEMPOTENCY_KEY) => return Ok(InsertOutcome::DuplicateKey),
        Err(error) => return Err(error.into()),
    };
    match insert_tickets(&mut tx, order_id, order.showtime, order.seats).await {
        Ok(()) => {}
        Err(error) if violates(&error, TICKET_FENCE) => {
            tx.rollback().await?;
            let taken: Vec<i64> = sqlx::query_scalar(
                "SELECT seat_id FROM tickets WHERE showtime_id = $1 AND seat_id = ANY($2)",
            )
            .bind(order.showtime.id)
            .bind(order.seats)
            .fetch_all(db)
            .await?;
            return Ok(InsertOutcome::SeatsTaken(taken));
        }
        Err(error) => return Err(error.into()),
    }
    tx.commit().await?;
    Ok(InsertOutcome::Created { code })
}

async fn insert_tickets(
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

/// Whether `error` is a violation of the named constraint (by name, never by message).
fn violates(error: &sqlx::Error, constraint: &str) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.constraint())
        .is_some_and(|c| c == constraint)
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    code: String,
    showtime_id: i64,
    total_cents: i32,
    buyer_name: String,
    buyer_email: String,
    card_last4: String,
}

/// The order with this confirmation code, for display.
pub async fn view(
    db: &PgPool,
    showtimes: &ShowtimeCache,
    code: &str,
) -> Result<Option<OrderView>, AppError> {
    let Some(row) = sqlx::query_as::<_, OrderRow>(
        "SELECT code, showtime_id, total_cents, buyer_name, buyer_email, card_last4
           FROM orders WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(db)
    .await?
    else {
        return Ok(None);
    };
    let tickets = sqlx::query_as::<_, (i64, i32, SeatKind)>(
        "SELECT t.seat_id, t.price_cents, s.kind FROM tickets t JOIN seats s ON s.id = t.seat_id
          JOIN orders o ON o.id = t.order_id WHERE o.code = $1 ORDER BY s.grid_row, s.grid_col",
    )
    .bind(code)
    .fetch_all(db)
    .await?;
    let info = showtimes.get(db, row.showtime_id).await?;
    Ok(Some(OrderView {
        code: row.code,
        showtime_id: row.showtime_id,
        movie_title: info.movie_title.clone(),
        starts_at: info.starts_label.clone(),
        auditorium: info.auditorium.clone(),
        theater: info.theater.clone(),
        seats: tickets
            .into_iter()
            .map(|(seat_id, price, kind)| OrderSeat {
                seat_id,
                name: info.names(&[seat_id]).remove(0),
                kind,
                price_cents: i64::from(price),
            })
            .collect(),
        total_cents: i64::from(row.total_cents),
        buyer_name: row.buyer_name,
        buyer_email: row.buyer_email,
        card_last4: row.card_last4,
    }))
}
