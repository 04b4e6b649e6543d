//! Box office: refunds, blocked seats (in [`blocks`]), and (in [`counter`]) sales at the
//! counter and check-in.
//!
//! Postgres stays the system of record and changes first; Redis follows (the seats leave or
//! join the sold set, which every viewer sees at once), and freed seats go to the waiting
//! line before anyone else, as with any other seat that frees up.

mod blocks;
mod counter;

pub use blocks::{block, unblock};
pub use counter::{check_in, sell};

use super::{Role, audit, require};
use crate::app::admin::Done;
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::booking::payment::Charge;
use crate::server::booking::showtimes::ShowtimeInfo;

/// Seats typed by staff, each once: names ("C7 C8", "c7,c8"), or row and number apart
/// ("C-7") where a name is ambiguous (rows "1" and "11": "112" is 1-12 or 11-2).
pub fn parse_seats(showtime: &ShowtimeInfo, text: &str) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for token in text
        .split([',', ' ', ';', '\n'])
        .filter(|t| !t.trim().is_empty())
    {
        let token = token.trim();
        let shown: String = token.chars().take(12).collect();
        let matches: Vec<i64> = match token.split_once('-') {
            Some((row, number)) => {
                let number: Option<i32> = number.trim().parse().ok();
                showtime
                    .seats
                    .iter()
                    .filter(|(_, seat)| {
                        seat.label.0.eq_ignore_ascii_case(row.trim())
                            && Some(seat.label.1) == number
                    })
                    .map(|(id, _)| *id)
                    .collect()
            }
            None => showtime
                .seats
                .iter()
                .filter(|(_, seat)| seat.name.eq_ignore_ascii_case(token))
                .map(|(id, _)| *id)
                .collect(),
        };
        let id = match matches[..] {
            [id] => id,
            [] => return Err(AppError::bad_input(format!("no seat {shown} in this room"))),
            _ => {
                return Err(AppError::bad_input(format!(
                    "{shown} names more than one seat: write row and number apart, like 1-12"
                )));
            }
        };
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

/// Refunds a fulfilled order. Crash-safe in three steps: the order becomes `refunding` (its
/// seats still taken), then the card's charge is refunded through the gateway (cash is paid
/// back at the counter), then the order is `refunded`, its tickets stop holding their seats
/// and the seats are freed in Redis, offered to the waiting line first. A refund whose
/// process dies in between is finished by the reconciler ([`finish_refunds`]); the gateway's
/// refund is idempotent.
pub async fn refund(code: &str) -> Result<Done, AppError> {
    let who = require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let code = code.trim().to_uppercase();
    if code.is_empty() || code.len() > 40 {
        return Err(AppError::bad_input(
            "an order code is 12 letters and digits",
        ));
    }
    let mut tx = state.db.begin().await?;
    let order: Option<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM orders WHERE code = $1 FOR UPDATE")
            .bind(&code)
            .fetch_optional(&mut *tx)
            .await?;
    let (order_id, status) = order.ok_or_else(|| AppError::not_found(format!("order {code}")))?;
    match status.as_str() {
        "fulfilled" => {}
        "paid" | "pending" => {
            return Err(AppError::Conflict {
                message: format!("order {code} is still being completed; try again in a moment"),
            });
        }
        "refunding" => {
            return Err(AppError::Conflict {
                message: format!("order {code} is being refunded already"),
            });
        }
        other => {
            return Err(AppError::Conflict {
                message: format!("order {code} is {other}: there is nothing to refund"),
            });
        }
    }
    sqlx::query(
        "UPDATE orders SET status = 'refunding', staff_id = $2, updated_at = now() WHERE id = $1",
    )
    .bind(order_id)
    .bind(who.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(who.id),
        "order.refund",
        &format!("order {code}"),
        "asked",
    )
    .await?;
    tx.commit().await?;
    let refunded = finish_refund(&state, order_id).await?;
    let money = crate::app::money::format_cents(refunded.total_cents);
    Ok(Done {
        message: format!(
            "Order {code} refunded ({money}{}); its seats are free again.",
            if refunded.cash {
                ", to be paid back in cash"
            } else {
                " to the card"
            }
        ),
        location: format!("/admin/showtimes/{}", refunded.showtime_id),
        id: Some(order_id),
    })
}

/// What a finished refund was.
pub struct Refunded {
    pub showtime_id: i64,
    pub total_cents: i64,
    pub cash: bool,
}

/// Finishes a `refunding` order: the gateway's refund (idempotent), then `refunded` with its
/// tickets inactive and audited, then the seats freed. Refused (changing nothing) if the
/// order is not `refunding`, or if the gateway does not refund.
pub async fn finish_refund(state: &AppState, order_id: i64) -> Result<Refunded, AppError> {
    let order: Option<RefundingRow> = sqlx::query_as(
        "SELECT code, showtime_id, payment_method, charge_id, total_cents, staff_id
           FROM orders WHERE id = $1 AND status = 'refunding'",
    )
    .bind(order_id)
    .fetch_optional(&state.db)
    .await?;
    let RefundingRow {
        code,
        showtime_id,
        payment_method: method,
        charge_id: charge,
        total_cents: total,
        staff_id: staff,
    } = order.ok_or_else(|| AppError::Conflict {
        message: format!("order {order_id} is not being refunded"),
    })?;
    if method == "card" {
        let charge = Charge {
            id: charge.ok_or(AppError::Internal)?,
            amount_cents: i64::from(total),
        };
        state.payments.refund(&charge).await.map_err(|error| {
            tracing::error!(%error, order = code, "refund failed at the gateway");
            AppError::Conflict {
                message: format!(
                    "the payment processor did not refund order {code} ({error}); it is retried"
                ),
            }
        })?;
    }
    let mut tx = state.db.begin().await?;
    let updated = sqlx::query(
        "UPDATE orders SET status = 'refunded', updated_at = now()
          WHERE id = $1 AND status = 'refunding'",
    )
    .bind(order_id)
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
        staff,
        "order.refunded",
        &format!("order {code}"),
        &format!(
            "{money} by {method}, {} seats of showtime {showtime_id}",
            seats.len()
        ),
    )
    .await?;
    tx.commit().await?;
    free_seats(state, showtime_id, &seats).await;
    Ok(Refunded {
        showtime_id,
        total_cents: i64::from(total),
        cash: method == "cash",
    })
}

#[derive(sqlx::FromRow)]
struct RefundingRow {
    code: String,
    showtime_id: i64,
    payment_method: String,
    charge_id: Option<String>,
    total_cents: i32,
    staff_id: Option<i64>,
}

/// The reconciler's part: refunds left `refunding` for a while (their process died, or the
/// gateway failed) are finished. Failures are logged and tried again on the next pass.
pub async fn finish_refunds(state: &AppState) -> Result<u32, sqlx::Error> {
    let stuck: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM orders WHERE status = 'refunding'
            AND updated_at < now() - make_interval(secs => $1) ORDER BY id LIMIT 100",
    )
    .bind(state.settings.payment_stale.as_secs_f64())
    .fetch_all(&state.db)
    .await?;
    let mut finished = 0;
    for order in stuck {
        match finish_refund(state, order).await {
            Ok(_) => finished += 1,
            Err(error) => tracing::warn!(?error, order, "a refund could not be finished yet"),
        }
    }
    Ok(finished)
}

/// Seats that may no longer be taken: those of `seats` Postgres has free (no active ticket,
/// no block) leave Redis' sold set, and the waiting line is served with them. A failure here
/// is logged; the reconciler frees seats Redis still counts as sold while Postgres has them
/// free (`reconciler::free_stale`), so none stays taken for good.
pub(crate) async fn free_seats(state: &AppState, showtime_id: i64, seats: &[i64]) {
    let free: Result<Vec<i64>, _> = sqlx::query_scalar(
        "SELECT s FROM unnest($2::bigint[]) s
          WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.showtime_id = $1
                               AND t.seat_id = s AND t.active)
            AND NOT EXISTS (SELECT 1 FROM seat_blocks b WHERE b.showtime_id = $1
                               AND b.seat_id = s)",
    )
    .bind(showtime_id)
    .bind(seats)
    .fetch_all(&state.db)
    .await;
    let free = match free {
        Ok(free) if free.is_empty() => return,
        Ok(free) => free,
        Err(error) => {
            tracing::warn!(%error, "freed seats not released now; the reconciler will");
            return;
        }
    };
    match state.holds.unsell(&state.db, showtime_id, &free).await {
        Ok(0) => return,
        Ok(_) => {}
        Err(error) => {
            tracing::error!(
                ?error,
                showtime_id,
                "freed seats could not be released in Redis; the reconciler will"
            );
            return;
        }
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
