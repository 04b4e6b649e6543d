//! An on-sale as staff configured it (Postgres), and its phases.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::app::error::AppError;
use crate::app::room::Phase;

/// An on-sale, as configured by staff.
#[derive(Debug, Clone)]
pub struct OnSale {
    pub id: i64,
    pub name: String,
    pub opens_at: DateTime<Utc>,
    /// Places taken from here on are drawn at the opening.
    pub queue_opens_at: DateTime<Utc>,
    pub admit_per_minute: u32,
    pub max_active: u32,
    pub showtime_ids: Vec<i64>,
}

impl OnSale {
    pub(super) fn opens_ms(&self) -> i64 {
        self.opens_at.timestamp_millis()
    }

    pub fn phase_at(&self, now: DateTime<Utc>) -> Phase {
        if now >= self.opens_at {
            Phase::Open
        } else if now >= self.queue_opens_at {
            Phase::Drawing
        } else {
            Phase::Upcoming
        }
    }

    /// The rate's bucket: one second's worth of admissions (at least one) may go at once.
    pub(super) fn burst(&self) -> u32 {
        self.admit_per_minute.div_ceil(60).max(1)
    }
}

pub(super) async fn load(db: &PgPool, id: i64) -> Result<OnSale, AppError> {
    let row: Option<(String, DateTime<Utc>, i32, i32, i32)> = sqlx::query_as(
        "SELECT name, opens_at, prequeue_minutes, admit_per_minute, max_active
           FROM on_sales WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let (name, opens_at, prequeue, per_minute, max_active) =
        row.ok_or_else(|| AppError::not_found(format!("on-sale {id}")))?;
    let showtime_ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM showtimes WHERE on_sale_id = $1 AND cancelled_at IS NULL ORDER BY starts_at",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    Ok(OnSale {
        id,
        name,
        opens_at,
        queue_opens_at: opens_at - chrono::Duration::minutes(i64::from(prequeue)),
        admit_per_minute: per_minute as u32,
        max_active: max_active as u32,
        showtime_ids,
    })
}
