//! Box office: refunds, blocked seats, sales at the counter, check-in.
//!
//! Postgres stays the system of record and changes first; Redis follows (the seats leave or
//! join the sold set, which every viewer sees at once), and freed seats go to the waiting
//! line before anyone else, as with any other seat that frees up.

use super::{Role, Staff, audit, require};
use crate::app::admin::Done;
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::booking::hold_after_line;
use crate::server::booking::orders::{TICKET_FENCE, insert_tickets, new_code, violates};
use crate::server::booking::payment::Charge;
use crate::server::booking::showtimes::ShowtimeInfo;

/// Seats typed by staff: names ("C7 C8", "c7,c8") or ids, each once.
pub fn parse_seats(showtime: &ShowtimeInfo, text: &str) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for token in text
        .split([',', ' ', ';', '\n'])
        .filter(|t| !t.trim().is_empty())
    {
        let token = token.trim();
        let id = token
            .parse::<i64>()
            .ok()
            .filter(|id| showtime.seats.contains_key(id))
            .or_else(|| {
                showtime
                    .seats
                    .iter()
                    .find(|(_, seat)| seat.name.eq_ignore_ascii_case(token))
                    .map(|(id, _)| *id)
            })
            .ok_or_else(|| {
                let shown: String = token.chars().take(12).collect();
                AppError::bad_input(format!("no seat {shown} in this room"))
            })?;
        if ids.contains(&id) {
            return Err(AppError::bad_input("each seat once"));
        }
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(AppError::bad_input("name at least one seat, like C7"));
    }
    if ids.len() > 100 {
        return Err(AppError::bad_input("at most 100 seats at once"));
    }
    Ok(ids)
}

/// Refunds a fulfilled order: the card's charge through the gateway (cash is paid back at
/// the counter), then the order is `refunded` and its tickets stop holding their seats, then
/// the seats are freed in Redis and offered to the waiting line first. The gateway's refund
/// is idempotent, so a refund interrupted half way is finished by asking again.
pub async fn refund(code: &str) -> Result<Done, AppError> {
    let who = require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let code = code.trim().to_uppercase();
    if code.is_empty() || code.len() > 40 {
        return Err(AppError::bad_input(
            "an order code is 12 letters and digits",
        ));
    }
    let order: Option<(i64, i64, String, String, Option<String>, i32)> = sqlx::query_as(
        "SELECT id, showtime_id, status, payment_method, charge_id, total_cents
           FROM orders WHERE code = $1",
    )
    .bind(&code)
    .fetch_optional(&state.db)
    .await?;
    let (order_id, showtime_id, status, method, charge, total) =
        order.ok_or_else(|| AppError::not_found(format!("order {code}")))?;
    match status.as_str() {
        "fulfilled" => {}
        "paid" => {
            return Err(AppError::Conflict {
                message: format!("order {code} is still being completed; try again in a moment"),
            });
        }
        other => {
            return Err(AppError::Conflict {
                message: format!("order {code} is {other}: there is nothing to refund"),
            });
        }
    }
    if method == "card" {
        let charge = Charge {
            id: charge.ok_or(AppError::Internal)?,
            amount_cents: i64::from(total),
        };
        state.payments.refund(&charge).await.map_err(|error| {
            tracing::error!(%error, order = code, "refund failed at the gateway");
            AppError::Conflict {
                message: format!("the payment processor did not refund order {code}: {error}"),
            }
        })?;
    }
    let mut tx = state.db.begin().await?;
    let updated = sqlx::query(
        "UPDATE orders SET status = 'refunded', staff_id = $2, updated_at = now()
          WHERE id = $1 AND status = 'fulfilled'",
    )
    .bind(order_id)
    .bind(who.id)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::Conflict {
            message: format!("order {code} was refunded already"),
        });
    }
    let seats: Vec<i64> = sqlx::query_scalar(
        "UPDATE tickets SET active = false WHERE order_id = $1 AND active RETURNING seat_id",
    )
    .bind(order_id)
    .fetch_all(&mut *tx)
    .await?;
    let money = crate::app::money::format_cents(i64::from(total));
    audit::record(
        &mut tx,
        Some(who.id),
        "order.refund",
        &format!("order {code}"),
        &format!(
            "{money} by {method}, {} seats of showtime {showtime_id}",
            seats.len()
        ),
    )
    .await?;
    tx.commit().await?;
    free_seats(&state, showtime_id, &seats).await;
    Ok(Done {
        message: format!(
            "Order {code} refunded ({money}{}); its seats are free again.",
            if method == "cash" {
                ", to be paid back in cash"
            } else {
                " to the card"
            }
        ),
        location: format!("/admin/showtimes/{showtime_id}"),
        id: Some(order_id),
    })
}

/// Seats Postgres no longer counts as taken: out of Redis' sold set, then the waiting line
/// is served with them. A failure here is logged; the seats stay shown as taken until Redis
/// is rebuilt from Postgres (nothing is sold twice either way).
async fn free_seats(state: &AppState, showtime_id: i64, seats: &[i64]) {
    let freed = state.holds.unsell(&state.db, showtime_id, seats).await;
    if let Err(error) = freed {
        tracing::error!(
            ?error,
            showtime_id,
            "freed seats could not be released in Redis"
        );
        return;
    }
    match state.showtimes.get(&state.db, showtime_id).await {
        Ok(showtime) => {
            if let Err(error) = state.line.serve(&state.db, &showtime).await {
                tracing::warn!(?error, "serving the line after freeing seats failed");
                let _ = state.holds.sweep_soon(showtime_id).await;
            }
        }
        Err(error) => tracing::warn!(?error, "showtime not loaded to serve its line"),
    }
}

/// Blocks seats of a showtime: nobody can hold them until they are unblocked. Refused for
/// seats that are sold, blocked already, or held right now.
pub async fn block(showtime_id: i64, seats: &str, reason: &str) -> Result<Done, AppError> {
    let who = require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::bad_input(
            "say why, in 1 to 200 characters (house seats, broken…)",
        ));
    }
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    let ids = parse_seats(&showtime, seats)?;
    let names = showtime.names(&ids).join(", ");
    let mut tx = state.db.begin().await?;
    let taken: Vec<i64> = sqlx::query_scalar(
        "SELECT seat_id FROM tickets WHERE showtime_id = $1 AND seat_id = ANY($2) AND active
         UNION SELECT seat_id FROM seat_blocks WHERE showtime_id = $1 AND seat_id = ANY($2)",
    )
    .bind(showtime_id)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    if !taken.is_empty() {
        return Err(AppError::SeatTaken {
            seats: showtime.names(&taken),
        });
    }
    for id in &ids {
        sqlx::query(
            "INSERT INTO seat_blocks (showtime_id, seat_id, reason, blocked_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(showtime_id)
        .bind(id)
        .bind(reason)
        .bind(who.id)
        .execute(&mut *tx)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => AppError::SeatTaken {
                seats: vec![names.clone()],
            },
            _ => error.into(),
        })?;
    }
    audit::record(
        &mut tx,
        Some(who.id),
        "seat.block",
        &format!("showtime {showtime_id} seats {names}"),
        reason,
    )
    .await?;
    // Redis decides while the rows are not yet committed: a seat held right now refuses the
    // whole block, and the transaction is rolled back with it.
    match state.holds.block(&state.db, showtime_id, &ids).await? {
        Ok(()) => {}
        Err(held) => {
            tx.rollback().await?;
            return Err(AppError::SeatTaken {
                seats: showtime.names(&held),
            });
        }
    }
    if let Err(error) = tx.commit().await {
        // Redis has them blocked, Postgres does not: undo in Redis.
        let _ = state.holds.unsell(&state.db, showtime_id, &ids).await;
        return Err(error.into());
    }
    Ok(Done {
        message: format!("Blocked {names}: nobody can hold them."),
        location: format!("/admin/showtimes/{showtime_id}"),
        id: None,
    })
}

/// Unblocks seats: they are free again, the waiting line first.
pub async fn unblock(showtime_id: i64, seats: &str) -> Result<Done, AppError> {
    let who = require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    let ids = parse_seats(&showtime, seats)?;
    let mut tx = state.db.begin().await?;
    let removed: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM seat_blocks WHERE showtime_id = $1 AND seat_id = ANY($2) RETURNING seat_id",
    )
    .bind(showtime_id)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    let missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !removed.contains(id))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Conflict {
            message: format!(
                "{} {} not blocked",
                showtime.names(&missing).join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
        });
    }
    let names = showtime.names(&ids).join(", ");
    audit::record(
        &mut tx,
        Some(who.id),
        "seat.unblock",
        &format!("showtime {showtime_id} seats {names}"),
        "",
    )
    .await?;
    tx.commit().await?;
    free_seats(&state, showtime_id, &ids).await;
    Ok(Done {
        message: format!("Unblocked {names}."),
        location: format!("/admin/showtimes/{showtime_id}"),
        id: None,
    })
}

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
    hold_after_line(&state, &showtime, &holder, "counter", &ids).await?;
    let sold = record_cash_sale(&state, &who, &showtime, &ids, &holder, name, email).await;
    let code = match sold {
        Ok(code) => code,
        Err(error) => {
            let _ = state
                .holds
                .release(&showtime, &holder, "counter", Some(&ids))
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

/// The holder name of a staff member's counter sales.
fn counter_session(who: &Staff) -> String {
    format!("counter-{}", who.id)
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
    let mut tx = state.db.begin().await?;
    let first: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
        "UPDATE tickets SET checked_in_at = now() WHERE id = $1 AND checked_in_at IS NULL
         RETURNING checked_in_at",
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
        let showtime = state.showtimes.get(&state.db, check.showtime_id).await?;
        let when = at
            .map(|at| {
                at.with_timezone(&showtime.zone)
                    .format("%H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default();
        return Err(AppError::Conflict {
            message: format!("seat {} was checked in already, at {when}", check.seat),
        });
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
