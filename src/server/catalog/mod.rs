//! Catalog queries behind the catalog server functions.
//!
//! Reads only. Times are converted to the theater's zone and formatted here, so the browser
//! bundle carries no time-zone data. Answers are cached in process ([`cache`]); whoever
//! changes the catalog calls [`changed`], which empties that cache on every instance
//! ([`changes`]).

pub mod cache;
pub mod changes;
pub mod demo;

pub use cache::CatalogCache;
pub use changes::changed;

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;

use super::AppState;
use crate::app::catalog::{
    MovieCard, Price, RowLabel, Seat, SeatKind, SeatLayout, ShowtimeDay, ShowtimeDetail,
    ShowtimeLink,
};
use crate::app::error::AppError;

/// How far ahead the home and movie pages list showtimes.
const LISTING_DAYS: i32 = 7;

#[tracing::instrument]
pub async fn now_showing() -> Result<Vec<MovieCard>, AppError> {
    let state = AppState::current()?;
    let load = async { Ok(read(&state, |db| Box::pin(now_showing_from(db))).await?) };
    let movies = state.catalog.now_showing(load).await?;
    Ok(movies.as_ref().clone())
}

async fn now_showing_from(db: &PgPool) -> Result<Vec<MovieCard>, sqlx::Error> {
    let movies = sqlx::query_as::<_, MovieRow>(
        "SELECT id, title, synopsis, runtime_minutes, rating, poster_hue FROM movies ORDER BY title",
    )
    .fetch_all(db)
    .await?;
    let showtimes = upcoming_showtimes(db, None).await?;
    Ok(movies
        .into_iter()
        .map(|movie| {
            let id = movie.id;
            let own = showtimes.iter().filter(move |s| s.movie_id == id);
            movie.into_card(own)
        })
        .collect())
}

#[tracing::instrument]
pub async fn movie(id: i64) -> Result<MovieCard, AppError> {
    let state = AppState::current()?;
    let load = async {
        read(&state, |db| Box::pin(movie_from(db, id)))
            .await?
            .ok_or_else(|| AppError::not_found(format!("movie {id}")))
    };
    let movie = state.catalog.movie(id, load).await?;
    Ok(movie.as_ref().clone())
}

async fn movie_from(db: &PgPool, id: i64) -> Result<Option<MovieCard>, sqlx::Error> {
    let Some(movie) = sqlx::query_as::<_, MovieRow>(
        "SELECT id, title, synopsis, runtime_minutes, rating, poster_hue FROM movies WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    else {
        return Ok(None);
    };
    let showtimes = upcoming_showtimes(db, Some(id)).await?;
    Ok(Some(movie.into_card(showtimes.iter())))
}

#[tracing::instrument]
pub async fn showtime(id: i64) -> Result<ShowtimeDetail, AppError> {
    let state = AppState::current()?;
    let showtime = state
        .catalog
        .showtime(id, showtime_from(&state, id))
        .await?;
    Ok(showtime.as_ref().clone())
}

async fn showtime_from(state: &AppState, id: i64) -> Result<ShowtimeDetail, AppError> {
    // Booking reads the same showtime from the primary (`booking::showtimes`); the page may
    // show it from the replica.
    if let Some(replica) = replica(state).filter(|r| r.is_fresh()) {
        match load_showtime(replica.pool(), id).await {
            Ok(loaded) => return Ok(loaded.detail),
            Err(AppError::NotFound { .. }) => {} // not replicated yet, perhaps
            Err(error) => tracing::warn!(?error, "showtime read failed on the replica"),
        }
    }
    Ok(load_showtime(&state.db, id).await?.detail)
}

/// A catalog read on the replica when it may serve it (see [`replica`]), else on the primary.
async fn read<T>(
    state: &AppState,
    query: impl for<'a> Fn(&'a PgPool) -> super::db::ReadFuture<'a, T>,
) -> Result<T, sqlx::Error> {
    super::db::read_catalog(&state.db, replica(state), query).await
}

/// The replica, unless the catalog changed within the replica's allowed lag (plus its
/// monitor's interval): a fresh replica may still be that far behind, so it may not have
/// the change yet, and what is read now is cached until the TTL.
fn replica(state: &AppState) -> Option<&super::db::Replica> {
    let window = state.settings.database_replica_max_lag + Duration::from_secs(2);
    state
        .replica
        .as_ref()
        .filter(|_| !state.catalog.changed_within(window))
}

/// A showtime as the catalog shows it, and when it starts.
pub struct LoadedShowtime {
    pub detail: ShowtimeDetail,
    pub starts_at: DateTime<Utc>,
    /// The theater's time zone.
    pub zone: Tz,
}

/// The one read of a showtime, its movie, room, seats and prices: the showtime page shows it
/// and booking caches it (`booking::showtimes`).
pub async fn load_showtime(db: &PgPool, id: i64) -> Result<LoadedShowtime, AppError> {
    let row = sqlx::query_as::<_, ShowtimeRow>(
        "SELECT s.id, s.starts_at, m.id AS movie_id, m.title, m.runtime_minutes, m.rating,
                m.poster_hue, a.id AS auditorium_id, a.name AS auditorium, a.grid_rows,
                a.grid_cols, t.name AS theater, t.timezone, t.companion_needs_wheelchair,
                s.cancelled_at IS NOT NULL AS cancelled, s.on_sale_id
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

    let prices = sqlx::query_as::<_, (SeatKind, i32)>(
        "SELECT kind, price_cents FROM showtime_prices WHERE showtime_id = $1 ORDER BY kind",
    )
    .bind(id)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|(kind, cents)| Price {
        kind,
        cents: i64::from(cents),
    })
    .collect();

    let seats = sqlx::query_as::<_, Seat>(
        "SELECT id, row_label, number, grid_row, grid_col, kind
           FROM seats WHERE auditorium_id = $1 ORDER BY grid_row, grid_col",
    )
    .bind(row.auditorium_id)
    .fetch_all(db)
    .await?;

    let mut rows: Vec<RowLabel> = Vec::new();
    for seat in &seats {
        if rows.last().is_none_or(|r| r.grid_row != seat.grid_row) {
            rows.push(RowLabel {
                grid_row: seat.grid_row,
                label: seat.row_label.clone(),
            });
        }
    }

    let detail = ShowtimeDetail {
        id: row.id,
        movie_id: row.movie_id,
        movie_title: row.title,
        runtime_minutes: row.runtime_minutes,
        rating: row.rating,
        poster_hue: row.poster_hue,
        theater: row.theater,
        auditorium: row.auditorium,
        starts_at: starts_label(row.starts_at, &row.timezone),
        companion_needs_wheelchair: row.companion_needs_wheelchair,
        cancelled: row.cancelled,
        on_sale_id: row.on_sale_id,
        prices,
        layout: SeatLayout {
            grid_rows: row.grid_rows,
            grid_cols: row.grid_cols,
            rows,
            seats,
        },
    };
    Ok(LoadedShowtime {
        detail,
        starts_at: row.starts_at,
        zone: zone(&row.timezone),
    })
}

/// When a showtime starts, in its theater's zone: "Sat 28 Nov, 19:30".
pub fn starts_label(starts_at: DateTime<Utc>, timezone: &str) -> String {
    starts_at
        .with_timezone(&zone(timezone))
        .format("%a %-d %b, %H:%M")
        .to_string()
}

/// Showtimes starting within the listing window, in start order.
async fn upcoming_showtimes(
    db: &PgPool,
    movie_id: Option<i64>,
) -> Result<Vec<UpcomingRow>, sqlx::Error> {
    sqlx::query_as::<_, UpcomingRow>(
        "SELECT s.id, s.movie_id, s.starts_at, a.name AS auditorium, t.timezone
           FROM showtimes s
           JOIN auditoriums a ON a.id = s.auditorium_id
           JOIN theaters t ON t.id = a.theater_id
          WHERE s.starts_at > now()
            AND s.starts_at < now() + make_interval(days => $1)
            AND s.cancelled_at IS NULL
            AND ($2::bigint IS NULL OR s.movie_id = $2)
          ORDER BY s.starts_at, a.name",
    )
    .bind(LISTING_DAYS)
    .bind(movie_id)
    .fetch_all(db)
    .await
}

/// The theater's zone; an unknown name (a data error) falls back to UTC and is logged,
/// rather than making the page fail.
pub(crate) fn zone(name: &str) -> Tz {
    name.parse().unwrap_or_else(|_| {
        tracing::warn!(timezone = name, "unknown time zone; showing UTC");
        Tz::UTC
    })
}

#[derive(sqlx::FromRow)]
struct MovieRow {
    id: i64,
    title: String,
    synopsis: String,
    runtime_minutes: i32,
    rating: String,
    poster_hue: i32,
}

impl MovieRow {
    fn into_card<'a>(self, showtimes: impl Iterator<Item = &'a UpcomingRow>) -> MovieCard {
        let mut days: Vec<ShowtimeDay> = Vec::new();
        for s in showtimes {
            let local = s.starts_at.with_timezone(&zone(&s.timezone));
            let day = local.format("%a %-d %b").to_string();
            let link = ShowtimeLink {
                id: s.id,
                time: local.format("%H:%M").to_string(),
                auditorium: s.auditorium.clone(),
            };
            match days.last_mut() {
                Some(last) if last.label == day => last.showtimes.push(link),
                _ => days.push(ShowtimeDay {
                    label: day,
                    showtimes: vec![link],
                }),
            }
        }
        MovieCard {
            id: self.id,
            title: self.title,
            synopsis: self.synopsis,
            runtime_minutes: self.runtime_minutes,
            rating: self.rating,
            poster_hue: self.poster_hue,
            days,
        }
    }
}

#[derive(sqlx::FromRow)]
struct UpcomingRow {
    id: i64,
    movie_id: i64,
    starts_at: DateTime<Utc>,
    auditorium: String,
    timezone: String,
}

#[derive(sqlx::FromRow)]
struct ShowtimeRow {
    id: i64,
    starts_at: DateTime<Utc>,
    movie_id: i64,
    title: String,
    runtime_minutes: i32,
    rating: String,
    poster_hue: i32,
    auditorium_id: i64,
    auditorium: String,
    grid_rows: i32,
    grid_cols: i32,
    theater: String,
    timezone: String,
    companion_needs_wheelchair: bool,
    cancelled: bool,
    on_sale_id: Option<i64>,
}
