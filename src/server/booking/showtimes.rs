//! What booking needs to know about a showtime: when it starts, its seats, their prices.
//!
//! A showtime's seats and prices do not change once it is on sale, so this is cached in
//! process after the first read (`SHOWTIME_CACHE_SIZE` showtimes, each for at most
//! `SHOWTIME_CACHE_TTL_SECS`, or until the catalog announces a change); every hold and
//! purchase validates against it without a database round trip.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::app::booking::seating;
use crate::app::catalog::SeatKind;
use crate::app::error::AppError;
use crate::server::cache::BoundedCache;
use crate::server::catalog::{self, LoadedShowtime};

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
    /// Companion seats are sold only with a wheelchair space (the theater's rule).
    pub companion_needs_wheelchair: bool,
    /// The theater's time zone, for times shown to its visitors.
    pub zone: chrono_tz::Tz,
    /// Staff cancelled it: it sells nothing more.
    pub cancelled: bool,
    /// Sold through this on-sale's waiting room (`room`): holds and purchases need its
    /// admission.
    pub on_sale_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct SeatInfo {
    /// "C7"
    pub name: String,
    /// The row's label and the seat's number in it ("C", 7).
    pub label: (String, i32),
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

    /// The seats as the seating rules see them (`taken`: sold or held), in layout order.
    pub fn places(&self, taken: &std::collections::HashSet<i64>) -> Vec<seating::Place> {
        self.seat_ids
            .iter()
            .filter_map(|id| {
                let seat = self.seats.get(id)?;
                Some(seating::Place {
                    id: *id,
                    row: seat.row,
                    col: seat.col,
                    kind: seat.kind,
                    free: !taken.contains(id),
                })
            })
            .collect()
    }

    /// Refuses a purchase of companion seats without a wheelchair space, where the theater
    /// sells them only together.
    pub fn check_companions(&self, ids: &[i64]) -> Result<(), AppError> {
        let kind = |id: &i64| self.seats.get(id).map(|s| s.kind);
        let companion = ids.iter().any(|id| kind(id) == Some(SeatKind::Companion));
        let wheelchair = ids.iter().any(|id| kind(id) == Some(SeatKind::Wheelchair));
        if self.companion_needs_wheelchair && companion && !wheelchair {
            let seats: Vec<i64> = ids
                .iter()
                .copied()
                .filter(|id| kind(id) == Some(SeatKind::Companion))
                .collect();
            return Err(AppError::CompanionNeedsWheelchair {
                seats: self.names(&seats),
            });
        }
        Ok(())
    }

    /// The theater's wall-clock time `ms_from_now` milliseconds from now ("19:04:31").
    pub fn clock_in(&self, ms_from_now: i64) -> String {
        (Utc::now() + chrono::Duration::milliseconds(ms_from_now))
            .with_timezone(&self.zone)
            .format("%H:%M:%S")
            .to_string()
    }

    /// Started, or cancelled: nothing more is sold.
    pub fn has_started(&self) -> bool {
        self.cancelled || self.starts_at <= Utc::now()
    }

    /// Refuses holds, the line and purchases once the showtime has started or was cancelled.
    pub fn check_on_sale(&self) -> Result<(), AppError> {
        if self.cancelled {
            Err(AppError::ShowtimeCancelled)
        } else if self.starts_at <= Utc::now() {
            Err(AppError::ShowtimeStarted)
        } else {
            Ok(())
        }
    }

    pub fn total_cents(&self, ids: &[i64]) -> i64 {
        ids.iter()
            .filter_map(|id| self.seats.get(id))
            .map(|s| s.price_cents)
            .sum()
    }
}

/// Showtimes by id, bounded in number (the least recently used goes first) and in age (an
/// entry older than the TTL is read again, so a change in the catalog shows up eventually);
/// emptied at once when the catalog announces a change (`catalog::changes`).
#[derive(Clone)]
pub struct ShowtimeCache {
    cache: BoundedCache<i64, Arc<ShowtimeInfo>>,
}

/// The `SHOWTIME_CACHE_SIZE` and `SHOWTIME_CACHE_TTL_SECS` defaults (for tests and tools).
impl Default for ShowtimeCache {
    fn default() -> Self {
        Self::new(1000, Duration::from_secs(300))
    }
}

impl ShowtimeCache {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            cache: BoundedCache::new(capacity, ttl),
        }
    }

    pub async fn get(&self, db: &PgPool, id: i64) -> Result<Arc<ShowtimeInfo>, AppError> {
        let load = async { load(db, id).await.map(Arc::new) };
        Ok(self.cache.get_or_load(id, load).await?.0)
    }

    /// Forgets every showtime (the catalog changed).
    pub fn clear(&self) {
        self.cache.clear();
    }
}

/// Booking's view of the catalog's showtime: the seats that have a price, by id.
async fn load(db: &PgPool, id: i64) -> Result<ShowtimeInfo, AppError> {
    let LoadedShowtime {
        detail,
        starts_at,
        zone,
    } = catalog::load_showtime(db, id).await?;
    // A seat whose kind has no price in this showtime is not for sale.
    let seats: Vec<(i64, SeatInfo)> = detail
        .layout
        .seats
        .iter()
        .filter_map(|seat| {
            let info = SeatInfo {
                name: seat.short_name(),
                label: (seat.row_label.clone(), seat.number),
                kind: seat.kind,
                price_cents: detail.price_of(seat.kind)?,
                row: seat.grid_row,
                col: seat.grid_col,
            };
            Some((seat.id, info))
        })
        .collect();
    Ok(ShowtimeInfo {
        id,
        starts_at,
        starts_label: detail.starts_at,
        movie_title: detail.movie_title,
        auditorium: detail.auditorium,
        theater: detail.theater,
        seat_ids: seats.iter().map(|(id, _)| *id).collect(),
        seats: seats.into_iter().collect(),
        companion_needs_wheelchair: detail.companion_needs_wheelchair,
        zone,
        cancelled: detail.cancelled,
        on_sale_id: detail.on_sale_id,
    })
}
