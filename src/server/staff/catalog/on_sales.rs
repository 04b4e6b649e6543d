//! On-sales: staff put showtimes of a big release behind a waiting room (`server::room`).

use chrono::{DateTime, Utc};

use crate::app::admin::Done;
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::catalog::changed;
use crate::server::staff::{Role, audit, require};

/// What staff send to create an on-sale.
pub struct OnSaleForm {
    pub name: String,
    /// RFC 3339 ("2026-12-24T10:00:00Z").
    pub opens_at: String,
    pub prequeue_minutes: i32,
    pub admit_per_minute: i32,
    pub max_active: i32,
    /// Comma-separated showtime ids.
    pub showtime_ids: String,
}

/// Creates an on-sale for showtimes that are scheduled, not started, and in no other
/// on-sale; it must open before the first of them starts.
pub async fn create(form: OnSaleForm) -> Result<Done, AppError> {
    let who = require(Role::Admin)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input("name must be 1 to 200 characters"));
    }
    let opens_at = DateTime::parse_from_rfc3339(form.opens_at.trim())
        .map_err(|_| AppError::bad_input("opens_at must be a time like 2026-12-24T10:00:00Z"))?
        .with_timezone(&Utc);
    if !(0..=1440).contains(&form.prequeue_minutes) {
        return Err(AppError::bad_input("prequeue_minutes must be 0 to 1440"));
    }
    if !(1..=100_000).contains(&form.admit_per_minute) {
        return Err(AppError::bad_input("admit_per_minute must be 1 to 100000"));
    }
    if !(1..=100_000).contains(&form.max_active) {
        return Err(AppError::bad_input("max_active must be 1 to 100000"));
    }
    let mut showtimes = Vec::new();
    for part in form
        .showtime_ids
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let id: i64 = part.parse().map_err(|_| {
            AppError::bad_input("showtime_ids must be showtime ids, comma-separated")
        })?;
        if !showtimes.contains(&id) {
            showtimes.push(id);
        }
    }
    if showtimes.is_empty() || showtimes.len() > 100 {
        return Err(AppError::bad_input(
            "showtime_ids must name 1 to 100 showtimes",
        ));
    }
    let state = AppState::current()?;
    let mut tx = state.db.begin().await?;
    let rows: Vec<(i64, DateTime<Utc>, bool, Option<i64>)> = sqlx::query_as(
        "SELECT id, starts_at, cancelled_at IS NOT NULL, on_sale_id FROM showtimes
          WHERE id = ANY($1) FOR UPDATE",
    )
    .bind(&showtimes)
    .fetch_all(&mut *tx)
    .await?;
    for id in &showtimes {
        let Some((_, starts_at, cancelled, on_sale)) = rows.iter().find(|r| r.0 == *id) else {
            return Err(AppError::bad_input(format!("no showtime {id}")));
        };
        if *cancelled {
            return Err(AppError::Conflict {
                message: format!("showtime {id} is cancelled"),
            });
        }
        if let Some(other) = on_sale {
            return Err(AppError::Conflict {
                message: format!("showtime {id} is already in on-sale {other}"),
            });
        }
        if *starts_at <= opens_at {
            return Err(AppError::Conflict {
                message: format!("showtime {id} starts before the on-sale opens"),
            });
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO on_sales (name, opens_at, prequeue_minutes, admit_per_minute, max_active)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(opens_at)
    .bind(form.prequeue_minutes)
    .bind(form.admit_per_minute)
    .bind(form.max_active)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE showtimes SET on_sale_id = $1 WHERE id = ANY($2)")
        .bind(id)
        .bind(&showtimes)
        .execute(&mut *tx)
        .await?;
    let list = showtimes
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    audit::record(
        &mut tx,
        Some(who.id),
        "on_sale.create",
        &format!("on-sale {id}"),
        &format!("opens {} · showtimes {list}", opens_at.to_rfc3339()),
    )
    .await?;
    tx.commit().await?;
    changed(&state).await;
    Ok(Done {
        message: format!("On-sale {id} created: its showtimes sell through the queue."),
        location: format!("/on_sales/{id}"),
        id: Some(id),
    })
}
