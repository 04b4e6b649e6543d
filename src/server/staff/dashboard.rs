//! A showtime's sales dashboard: counts from Redis (what every viewer sees), money and
//! history from Postgres. Counts, amounts and times only, never who: no names, emails or
//! sessions leave this module.

use super::{Role, require};
use crate::app::admin::{Dashboard, OrderLine};
use crate::app::error::AppError;
use crate::server::AppState;

pub async fn dashboard(showtime_id: i64) -> Result<Dashboard, AppError> {
    require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let row = super::catalog::showtime_rows(&state, Some(showtime_id))
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found(format!("showtime {showtime_id}")))?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    // Nobody's session: every hold is someone else's.
    let seats = state.holds.snapshot(&state.db, &showtime, "").await?;
    let blocks: Vec<(i64, String)> = sqlx::query_as(
        "SELECT seat_id, reason FROM seat_blocks WHERE showtime_id = $1 ORDER BY seat_id",
    )
    .bind(showtime_id)
    .fetch_all(&state.db)
    .await?;
    let blocked = blocks.len() as u32;
    let taken = seats.sold.len() as u32;
    let held = seats.held.len() as u32;
    let total = showtime.seat_ids.len() as u32;
    let sold = taken.saturating_sub(blocked);
    let line_length: u32 = redis::cmd("ZCARD")
        .arg(state.holds.keys(showtime_id).line())
        .query_async(&mut state.redis.clone())
        .await?;
    let revenue_cents: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(total_cents), 0)::bigint FROM orders
          WHERE showtime_id = $1 AND status IN ('paid', 'fulfilled')",
    )
    .bind(showtime_id)
    .fetch_one(&state.db)
    .await?;
    let zone = showtime.zone.name();
    let sales: Vec<(String, i64)> = sqlx::query_as(
        "SELECT to_char(date_trunc('hour', o.created_at AT TIME ZONE $2), 'DD Mon HH24:00'),
                count(*)
           FROM tickets t JOIN orders o ON o.id = t.order_id
          WHERE t.showtime_id = $1 AND t.active AND o.status IN ('paid', 'fulfilled')
          GROUP BY date_trunc('hour', o.created_at AT TIME ZONE $2)
          ORDER BY date_trunc('hour', o.created_at AT TIME ZONE $2)",
    )
    .bind(showtime_id)
    .bind(zone)
    .fetch_all(&state.db)
    .await?;
    let orders: Vec<(String, Vec<i64>, i32, String, String, String)> = sqlx::query_as(
        "SELECT o.code, array_agg(t.seat_id ORDER BY t.seat_id), o.total_cents, o.status,
                o.payment_method, to_char(o.created_at AT TIME ZONE $2, 'DD Mon HH24:MI')
           FROM orders o JOIN tickets t ON t.order_id = o.id
          WHERE o.showtime_id = $1 AND o.status <> 'failed'
          GROUP BY o.id ORDER BY o.id DESC LIMIT 200",
    )
    .bind(showtime_id)
    .bind(zone)
    .fetch_all(&state.db)
    .await?;
    Ok(Dashboard {
        showtime: row,
        sold,
        held,
        blocked,
        free: total.saturating_sub(taken + held),
        line_length,
        revenue_cents,
        sales: sales
            .into_iter()
            .map(|(hour, count)| (hour, count as u32))
            .collect(),
        orders: orders
            .into_iter()
            .map(
                |(code, seats, total, status, payment, created_at)| OrderLine {
                    code,
                    seats: showtime.names(&seats).join(" "),
                    total_cents: i64::from(total),
                    status,
                    payment,
                    created_at,
                },
            )
            .collect(),
        blocks: blocks
            .into_iter()
            .map(|(seat, reason)| (showtime.names(&[seat]).remove(0), reason))
            .collect(),
    })
}
