//! What a buyer sees of orders: one order by its code (the confirmation page, with each
//! ticket's signed token), and a session's orders ("My bookings").

use sqlx::PgPool;

use super::seats_of;
use crate::app::booking::{OrderSeat, OrderSummary, OrderView};
use crate::app::catalog::SeatKind;
use crate::app::error::AppError;
use crate::server::booking::showtimes::ShowtimeCache;
use crate::server::tickets::{TicketFacts, TicketSigner};

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
    tickets: &TicketSigner,
    code: &str,
) -> Result<Option<OrderView>, AppError> {
    let Some(row) = sqlx::query_as::<_, OrderRow>(
        "SELECT code, showtime_id, total_cents, buyer_name, buyer_email,
                COALESCE(card_last4, '') AS card_last4
           FROM orders WHERE code = $1 AND status IN ('paid', 'fulfilled')",
    )
    .bind(code)
    .fetch_optional(db)
    .await?
    else {
        return Ok(None);
    };
    let rows = sqlx::query_as::<_, (i64, i64, i32, SeatKind)>(
        "SELECT t.id, t.seat_id, t.price_cents, s.kind FROM tickets t
           JOIN seats s ON s.id = t.seat_id JOIN orders o ON o.id = t.order_id
          WHERE o.code = $1 ORDER BY s.grid_row, s.grid_col",
    )
    .bind(code)
    .fetch_all(db)
    .await?;
    let info = showtimes.get(db, row.showtime_id).await?;
    let mut seats = Vec::with_capacity(rows.len());
    for (ticket_id, seat_id, price, kind) in rows {
        let facts = TicketFacts {
            ticket_id,
            order_code: &row.code,
            showtime_id: row.showtime_id,
            seat_id,
        };
        seats.push(OrderSeat {
            seat_id,
            name: info.names(&[seat_id]).remove(0),
            kind,
            price_cents: i64::from(price),
            ticket: tickets.token(db, &facts).await?,
        });
    }
    Ok(Some(OrderView {
        code: row.code,
        showtime_id: row.showtime_id,
        movie_title: info.movie_title.clone(),
        starts_at: info.starts_label.clone(),
        auditorium: info.auditorium.clone(),
        theater: info.theater.clone(),
        seats,
        total_cents: i64::from(row.total_cents),
        buyer_name: row.buyer_name,
        buyer_email: row.buyer_email,
        card_last4: row.card_last4,
    }))
}

/// A session's paid orders, newest first (at most 50).
pub async fn of_session(
    db: &PgPool,
    showtimes: &ShowtimeCache,
    session: &str,
) -> Result<Vec<OrderSummary>, AppError> {
    let rows = sqlx::query_as::<_, (i64, String, i64, i32)>(
        "SELECT id, code, showtime_id, total_cents FROM orders
          WHERE session_id = $1 AND status IN ('paid', 'fulfilled')
          ORDER BY created_at DESC, id DESC LIMIT 50",
    )
    .bind(session)
    .fetch_all(db)
    .await?;
    let mut orders = Vec::with_capacity(rows.len());
    for (id, code, showtime_id, total) in rows {
        let info = showtimes.get(db, showtime_id).await?;
        let seats = seats_of(db, id).await?;
        orders.push(OrderSummary {
            code,
            movie_title: info.movie_title.clone(),
            starts_at: info.starts_label.clone(),
            seats: info.names(&seats),
            total_cents: i64::from(total),
        });
    }
    Ok(orders)
}
