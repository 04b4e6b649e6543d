//! Reports as CSV (admins): `GET /admin/reports/orders.csv?showtime=<id>` (one line per
//! order of a showtime) and `GET /admin/reports/days.csv?from=<date>&to=<date>` (per day:
//! orders, tickets, revenue, refunds; at most a year, in UTC days).

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Role, Staff};
use crate::app::error::AppError;
use crate::server::AppState;

#[derive(Deserialize)]
pub struct ShowtimeQuery {
    showtime: Option<String>,
}

#[derive(Deserialize)]
pub struct DaysQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn orders_csv(
    State(state): State<AppState>,
    staff: Option<Extension<Staff>>,
    Query(q): Query<ShowtimeQuery>,
) -> Response {
    if let Err(error) = admin(staff) {
        return error.into_response();
    }
    match orders(&state, q).await {
        Ok((name, body)) => csv(&name, body),
        Err(error) => error.into_response(),
    }
}

async fn orders(state: &AppState, q: ShowtimeQuery) -> Result<(String, String), AppError> {
    let id: i64 = q
        .showtime
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AppError::bad_input("showtime must be a showtime id"))?;
    let showtime = state.showtimes.get(&state.db, id).await?;
    let rows: Vec<OrderRow> = sqlx::query_as(
        "SELECT o.code, to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at,
                o.status, o.total_cents, o.payment_method,
                array_agg(t.seat_id ORDER BY t.seat_id) AS seats, u.email AS staff
           FROM orders o JOIN tickets t ON t.order_id = o.id
           LEFT JOIN staff_users u ON u.id = o.staff_id
          WHERE o.showtime_id = $1
          GROUP BY o.id, u.email ORDER BY o.id",
    )
    .bind(id)
    .fetch_all(&state.db)
    .await?;
    let header = [
        "order",
        "created_at",
        "status",
        "payment",
        "seats",
        "tickets",
        "total",
        "staff",
    ];
    let mut out = row(&header.map(String::from));
    for OrderRow {
        code,
        at,
        status,
        total_cents: total,
        payment_method: payment,
        seats,
        staff,
    } in rows
    {
        let line = [
            code,
            at,
            status,
            payment,
            showtime.names(&seats).join(" "),
            seats.len().to_string(),
            format!("{}.{:02}", total / 100, total % 100),
            staff.unwrap_or_default(),
        ];
        out.push_str(&row(&line));
    }
    Ok((format!("orders-showtime-{id}.csv"), out))
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    code: String,
    at: String,
    status: String,
    total_cents: i32,
    payment_method: String,
    seats: Vec<i64>,
    staff: Option<String>,
}

pub async fn days_csv(
    State(state): State<AppState>,
    staff: Option<Extension<Staff>>,
    Query(q): Query<DaysQuery>,
) -> Response {
    if let Err(error) = admin(staff) {
        return error.into_response();
    }
    match days(&state, q).await {
        Ok((name, body)) => csv(&name, body),
        Err(error) => error.into_response(),
    }
}

async fn days(state: &AppState, q: DaysQuery) -> Result<(String, String), AppError> {
    let date = |text: Option<String>, name: &str| {
        text.as_deref()
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
            .ok_or_else(|| AppError::bad_input(format!("{name} must be a date like 2026-11-28")))
    };
    let from = date(q.from, "from")?;
    let to = date(q.to, "to")?;
    if to < from || (to - from).num_days() > 366 {
        return Err(AppError::bad_input(
            "to must be on or after from, at most a year later",
        ));
    }
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT to_char(d, 'YYYY-MM-DD'),
                count(DISTINCT o.id) FILTER (WHERE o.status IN ('paid', 'fulfilled', 'refunded')),
                count(t.id) FILTER (WHERE o.status IN ('paid', 'fulfilled')),
                COALESCE(sum(t.price_cents) FILTER (WHERE o.status IN ('paid', 'fulfilled')), 0)::bigint,
                count(DISTINCT o.id) FILTER (WHERE o.status = 'refunded')
           FROM generate_series($1::date, $2::date, interval '1 day') d
           LEFT JOIN orders o ON (o.created_at AT TIME ZONE 'UTC')::date = d::date
           LEFT JOIN tickets t ON t.order_id = o.id
          GROUP BY d ORDER BY d",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&state.db)
    .await?;
    let header = ["day", "orders", "tickets", "revenue", "refunded_orders"];
    let mut out = row(&header.map(String::from));
    for (day, orders, tickets, cents, refunded) in rows {
        let line = [
            day,
            orders.to_string(),
            tickets.to_string(),
            format!("{}.{:02}", cents / 100, cents % 100),
            refunded.to_string(),
        ];
        out.push_str(&row(&line));
    }
    Ok((format!("orders-{from}-{to}.csv"), out))
}

/// Reports are for admins (the middleware says so first; this does not rely on it).
fn admin(staff: Option<Extension<Staff>>) -> Result<(), AppError> {
    match staff {
        Some(Extension(staff)) if staff.may(Role::Admin) => Ok(()),
        Some(_) => Err(AppError::NotPermitted),
        None => Err(AppError::SignInRequired),
    }
}

/// One CSV line (RFC 4180): fields with a comma, quote or line break are quoted; a field
/// that a spreadsheet would run as a formula is prefixed with `'`.
fn row(fields: &[String]) -> String {
    let cells: Vec<String> = fields
        .iter()
        .map(|field| {
            let field = if field.starts_with(['=', '+', '-', '@']) {
                format!("'{field}")
            } else {
                field.clone()
            };
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field
            }
        })
        .collect();
    cells.join(",") + "\r\n"
}

fn csv(name: &str, body: String) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "private, no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::row;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let line = row(&[
            "a,b".into(),
            "say \"hi\"".into(),
            "=1+1".into(),
            "plain".into(),
        ]);
        assert_eq!(line, "\"a,b\",\"say \"\"hi\"\"\",'=1+1,plain\r\n");
    }
}
