//! The counter: selling seats for cash, checking tickets in.

use super::parse_seats;
use crate::app::admin::Done;
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::booking::holds::HoldAttempt;
use crate::server::booking::orders::{TICKET_FENCE, insert_tickets, new_code, violates};
use crate::server::booking::showtimes::ShowtimeInfo;
use crate::server::staff::{Role, Staff, audit, require};

/// Sells seats at the counter for cash: the same rules as online (the seats must be free,
/// the waiting line goes first, companion seats with a wheelchair space), then an order that
/// is paid at once.
pub async fn sell(
    showtime_id: i64,
    seats: &str,
    name: &str,
    email: &str,
) -> Result<Done, AppError> {
    let who = require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    showtime.check_on_sale()?;
    let ids = parse_seats(&showtime, seats)?;
    showtime.check_companions(&ids)?;
    let name = name.trim();
    let email = email.trim();
    if name.chars().count() > 200 || email.chars().count() > 254 {
        return Err(AppError::bad_input("name or email too long"));
    }
    let holder = counter_session(&who);
    // The online limits (seats per person, per address) are for visitors: a counter sale
    // holds exactly its seats, the waiting line first as always.
    let engine = state.holds.with_limits(ids.len() as u32, u32::MAX);
    let mut held = false;
    for _ in 0..5 {
        match engine
            .hold(&state.db, &showtime, &holder, COUNTER, &ids)
            .await?
        {
            HoldAttempt::Held(_) => {
                held = true;
                break;
            }
            HoldAttempt::ServeLineFirst => {
                state.line.serve(&state.db, &showtime).await?;
            }
        }
    }
    if !held {
        return Err(AppError::Internal);
    }
    let sold = record_cash_sale(&state, &who, &showtime, &ids, &holder, name, email).await;
    let code = match sold {
        Ok(code) => code,
        Err(error) => {
            let _ = state
                .holds
                .release(&showtime, &holder, COUNTER, Some(&ids))
                .await;
            return Err(error);
        }
    };
    let buyers: Vec<(i64, String)> = ids.iter().map(|id| (*id, holder.clone())).collect();
    if let Err(error) = state.holds.mark_sold(&state.db, showtime_id, &buyers).await {
        // Sold in Postgres; the reconciler brings Redis into line.
        tracing::warn!(?error, "a counter sale is not yet marked sold in Redis");
    }
    let total = crate::app::money::format_cents(showtime.total_cents(&ids));
    Ok(Done {
        message: format!(
            "Sold {} for {total} in cash: order {code}.",
            showtime.names(&ids).join(", ")
        ),
        location: format!("/orders/{code}"),
        id: None,
    })
}

/// The client bucket of counter sales.
const COUNTER: &str = "counter";

/// The holder of one counter sale: the staff member, and a token of its own, so that two
/// sales at once never share a hold.
fn counter_session(who: &Staff) -> String {
    format!(
        "counter-{}-{}",
        who.id,
        crate::server::session::random_token()
    )
}

async fn record_cash_sale(
    state: &AppState,
    who: &Staff,
    showtime: &ShowtimeInfo,
    ids: &[i64],
    holder: &str,
    name: &str,
    email: &str,
) -> Result<String, AppError> {
    let code = new_code();
    let key = format!("cash-{code}");
    let total = i32::try_from(showtime.total_cents(ids)).map_err(|_| AppError::Internal)?;
    let mut tx = state.db.begin().await?;
    let order_id: i64 = sqlx::query_scalar(
        "INSERT INTO orders (code, showtime_id, session_id, buyer_name, buyer_email, total_cents,
                             card_last4, idempotency_key, request_hash, payment_key, status,
                             payment_method, staff_id)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, '', $7, 'fulfilled', 'cash', $8) RETURNING id",
    )
    .bind(&code)
    .bind(showtime.id)
    .bind(holder)
    .bind(if name.is_empty() { "Box office" } else { name })
    .bind(email)
    .bind(total)
    .bind(&key)
    .bind(who.id)
    .fetch_one(&mut *tx)
    .await?;
    match insert_tickets(&mut tx, order_id, showtime, ids).await {
        Ok(()) => {}
        Err(error) if violates(&error, TICKET_FENCE) => {
            return Err(AppError::SeatTaken {
                seats: showtime.names(ids),
            });
        }
        Err(error) => return Err(error.into()),
    }
    audit::record(
        &mut tx,
        Some(who.id),
        "order.cash_sale",
        &format!("order {code}"),
        &format!(
            "{} of showtime {}, {}",
            showtime.names(ids).join(", "),
            showtime.id,
            crate::app::money::format_cents(i64::from(total))
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// Checks a ticket in, by the token in its QR code: once. A second scan says when the first
/// was; a refunded or forged ticket does not admit.
pub async fn check_in(token: &str) -> Result<Done, AppError> {
    let who = require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let check = state.tickets.verify(&state, token).await?;
    let ticket_id: i64 = token
        .trim()
        .split('.')
        .nth(1)
        .and_then(|id| id.parse().ok())
        .ok_or(AppError::Internal)?;
    if !check.valid {
        return Err(AppError::Conflict {
            message: format!(
                "ticket {} of order {} does not admit: the order is {}",
                check.seat, check.order_code, check.status
            ),
        });
    }
    let showtime = state.showtimes.get(&state.db, check.showtime_id).await?;
    if showtime.cancelled {
        return Err(AppError::Conflict {
            message: format!(
                "ticket {} does not admit: its showtime ({}, {}) was cancelled",
                check.seat, check.movie_title, check.starts_at
            ),
        });
    }
    let mut tx = state.db.begin().await?;
    let first: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
        "UPDATE tickets SET checked_in_at = now()
          WHERE id = $1 AND checked_in_at IS NULL AND active RETURNING checked_in_at",
    )
    .bind(ticket_id)
    .fetch_optional(&mut *tx)
    .await?;
    if first.is_none() {
        let at: Option<chrono::DateTime<chrono::Utc>> =
            sqlx::query_scalar("SELECT checked_in_at FROM tickets WHERE id = $1")
                .bind(ticket_id)
                .fetch_one(&mut *tx)
                .await?;
        let message = match at {
            Some(at) => format!(
                "seat {} was checked in already, at {}",
                check.seat,
                at.with_timezone(&showtime.zone).format("%H:%M:%S")
            ),
            // Refunded since it was verified.
            None => format!(
                "ticket {} does not admit: the order was refunded",
                check.seat
            ),
        };
        return Err(AppError::Conflict { message });
    }
    audit::record(
        &mut tx,
        Some(who.id),
        "ticket.check_in",
        &format!("ticket {ticket_id}"),
        &format!("order {} seat {}", check.order_code, check.seat),
    )
    .await?;
    tx.commit().await?;
    Ok(Done {
        message: format!(
            "Admit one: seat {}, {} at {}, {}.",
            check.seat, check.movie_title, check.starts_at, check.auditorium
        ),
        location: "/admin/box".into(),
        id: Some(ticket_id),
    })
}
