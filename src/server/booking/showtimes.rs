//! What booking needs to know about a showtime: when it starts, its seats, their prices.
//!
//! A showtime's seats and prices do not change once it is on sale, so this is cached in
//! process after the first read; every hold and purchase validates against it without a
//! database round trip.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::app::catalog::SeatKind;
use crate::app::error::AppError;

#[derive(Debug)]
pub struct ShowtimeInfo {
    pub id: i64,
    pub starts_at: DateTime<Utc>,
    pub starts_label: String,
    pub movie_title: String,
    pub auditorium: String,
    pub theater: String,
    /// Seat ids in layout order.
    pub seat_ids: Vec<i64>,
    pub seats: HashMap<i64, SeatInfo>,
}

#[derive(Debug, Clone)]
pub struct SeatInfo {
    /// "C7"
    pub name: String,
    pub kind: SeatKind,
    pub price_cents: i64,
    /// Place in the auditorium's grid: seats in one row with consecutive columns are
    /// side by side (an aisle is a gap in the columns).
    pub row: i32,
    pub col: i32,
}

impl ShowtimeInfo {
    /// Seat names ("C7") for ids, in layout order; unknown ids are shown as numbers.
    pub fn names(&self, ids: &[i64]) -> Vec<String> {
        let mut ids = ids.to_vec();
        ids.sort_by_key(|id| self.seat_ids.iter().position(|s| s == id));
        ids.iter()
            .map(|id| {
                self.seats
                    .get(id)
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| format!("#{id}"))
            })
            .collect()
    }

    /// Refuses seats that are not in this showtime's auditorium.
    pub fn check_seats(&self, ids: &[i64]) -> Result<(), AppError> {
        let unknown: Vec<String> = ids
            .iter()
            .filter(|id| !self.seats.contains_key(id))
            .map(|id| id.to_string())
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(AppError::bad_input(format!(
                "no such seat in this showtime: {}",
                unknown.join(", ")
            )))
        }
    }

    pub fn has_started(&self) -> bool {
        self.starts_at <= Utc::now()
    }

    pub fn total_cents(&self, ids: &[i64]) -> i64 {
        ids.iter()
            .filter_map(|id| self.seats.get(id))
            .map(|s| s.price_cents)
            .sum()
    }
}

#[derive(Clone, Default)]
pub struct ShowtimeCache {
    entries: Arc<RwLock<HashMap<i64, Arc<ShowtimeInfo>>>>,
}

impl ShowtimeCache {
    pub async fn get(&self, db: &PgPool, id: i64) -> Result<Arc<ShowtimeInfo>, AppError> {
        if let Some(info) = self.entries.read().ok().and_then(|e| e.get(&id).cloned()) {
            return Ok(info);
        }
        let info = Arc::new(load(db, id).await?);
        if let Ok(mut entries) = self.entries.write() {
            entries.insert(id, info.clone());
        }
        Ok(info)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    starts_at: DateTime<Utc>,
    title: String,
    auditorium: String,
    auditorium_id: i64,
    theater: String,
    timezone: String,
}

async fn load(db: &PgPool, id: i64) -> Result<ShowtimeInfo, AppError> {
    let row = sqlx::query_as::<_, Row>(
        "SELECT s.starts_at, m.title, a.name AS auditorium, a.id AS auditorium_id,
                t.name AS theater, t.timezone
           FROM showtimes s
           JOIN movies m ON m.id = s.movie_id
           JOIN auditoriums a ON a.id = s.auditorium_id
           JOIN theaters t ON t.id = a.theater_id
          WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| AppError::not_found(format!("showtime {id}")))?;

    let seats = sqlx::query_as::<_, (i64, String, i32, SeatKind, i32, i32, i32)>(
        "SELECT se.id, se.row_label, se.number, se.kind, p.price_cents, se.grid_row, se.grid_col
           FROM seats se
           JOIN showtime_prices p ON p.showtime_id = $2 AND p.kind = se.kind
          WHERE se.auditorium_id = $1
          ORDER BY se.grid_row, se.grid_col",
    )
    .bind(row.auditorium_id)
    .bind(id)
    .fetch_all(db)
    .await?;

    let local = row
        .starts_at
        .with_timezone(&crate::server::catalog::zone(&row.timezone));
    Ok(ShowtimeInfo {
        id,
        starts_at: row.starts_at,
        starts_label: local.format("%a %-d %b, %H:%M").to_string(),
        movie_title: row.title,
        auditorium: row.auditorium,
        theater: row.theater,
        seat_ids: seats.iter().map(|s| s.0).collect(),
        seats: seats
            .into_iter()
            .map(|(id, label, number, kind, price, row, col)| {
                (
                    id,
                    SeatInfo {
                        name: format!("{label}{number}"),
                        kind,
                        price_cents: i64::from(price),
                        row,
                        col,
                    },
                )
            })
            .collect(),
    })
}
