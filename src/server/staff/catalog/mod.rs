//! Catalog management: movies, theaters, auditoriums and their layouts, the schedule.
//!
//! Everything is validated here, on the server, with a message naming the field. Each change
//! is one transaction with its audit entry, and is announced with `catalog::changed`, so
//! public pages on every instance show it at once.

pub mod on_sales;
mod rooms;
mod schedule;

pub use rooms::{auditorium, save_auditorium};
pub use schedule::{TURNAROUND_MINUTES, cancel, schedule};

use chrono::NaiveTime;
use chrono_tz::Tz;

use super::{Role, audit, require};
use crate::app::admin::{
    AdminAuditoriumRow, AdminMovieRow, AdminShowtimeRow, AdminTheaterRow, Done, Me, MovieForm,
    Overview, TheaterForm,
};
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::catalog::{changed, starts_label};

pub async fn overview() -> Result<Overview, AppError> {
    let who = require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let movies = sqlx::query_as::<_, (i64, String, i32, String, String, i32)>(
        "SELECT id, title, runtime_minutes, rating, synopsis, poster_hue FROM movies ORDER BY title",
    )
    .fetch_all(&state.db)
    .await?
    .into_iter()
    .map(|(id, title, runtime_minutes, rating, synopsis, poster_hue)| AdminMovieRow {
        id,
        title,
        runtime_minutes,
        rating,
        synopsis,
        poster_hue,
    })
    .collect();
    let rooms = sqlx::query_as::<_, (i64, i64, String, i64)>(
        "SELECT a.id, a.theater_id, a.name, (SELECT count(*) FROM seats s WHERE s.auditorium_id = a.id)
           FROM auditoriums a ORDER BY a.name",
    )
    .fetch_all(&state.db)
    .await?;
    let theaters = sqlx::query_as::<_, (i64, String, String, String, bool, NaiveTime, i32)>(
        "SELECT id, name, city, timezone, companion_needs_wheelchair, matinee_before,
                matinee_discount_percent FROM theaters ORDER BY name",
    )
    .fetch_all(&state.db)
    .await?
    .into_iter()
    .map(
        |(id, name, city, timezone, companion, before, discount)| AdminTheaterRow {
            id,
            name,
            city,
            timezone,
            companion_needs_wheelchair: companion,
            matinee_before: before.format("%H:%M").to_string(),
            matinee_discount_percent: discount,
            auditoriums: rooms
                .iter()
                .filter(|room| room.1 == id)
                .map(|(id, theater_id, name, seats)| AdminAuditoriumRow {
                    id: *id,
                    theater_id: *theater_id,
                    name: name.clone(),
                    seats: *seats,
                })
                .collect(),
        },
    )
    .collect();
    let showtimes = showtime_rows(&state, None).await?;
    Ok(Overview {
        me: Me {
            email: who.email,
            role: who.role,
        },
        movies,
        theaters,
        showtimes,
    })
}

/// Showtimes from a day ago on (or just `only`), in start order, with their sales.
pub async fn showtime_rows(
    state: &AppState,
    only: Option<i64>,
) -> Result<Vec<AdminShowtimeRow>, AppError> {
    let rows = sqlx::query_as::<
        _,
        (
            i64,
            String,
            String,
            String,
            chrono::DateTime<chrono::Utc>,
            String,
            bool,
            i64,
            i64,
        ),
    >(
        "SELECT s.id, m.title, t.name, a.name, s.starts_at, t.timezone, s.cancelled_at IS NOT NULL,
                (SELECT count(*) FROM tickets k JOIN orders o ON o.id = k.order_id
                  WHERE k.showtime_id = s.id AND k.active AND o.status IN ('paid', 'fulfilled')),
                (SELECT count(*) FROM seats x WHERE x.auditorium_id = a.id)
           FROM showtimes s JOIN movies m ON m.id = s.movie_id
           JOIN auditoriums a ON a.id = s.auditorium_id JOIN theaters t ON t.id = a.theater_id
          WHERE ($1::bigint IS NULL AND s.starts_at > now() - interval '1 day') OR s.id = $1
          ORDER BY s.starts_at, a.name LIMIT 500",
    )
    .bind(only)
    .fetch_all(&state.db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, movie, theater, auditorium, starts, zone, cancelled, sold, seats)| {
                AdminShowtimeRow {
                    id,
                    movie,
                    theater,
                    auditorium,
                    starts_at: starts_label(starts, &zone),
                    cancelled,
                    sold,
                    seats,
                }
            },
        )
        .collect())
}

pub async fn save_movie(form: MovieForm) -> Result<Done, AppError> {
    let who = require(Role::Admin)?;
    let title = form.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::bad_input("title must have 1 to 200 characters"));
    }
    let runtime: i32 = form
        .runtime_minutes
        .trim()
        .parse()
        .ok()
        .filter(|m| (1..=600).contains(m))
        .ok_or_else(|| {
            AppError::bad_input("runtime must be a whole number of minutes, 1 to 600")
        })?;
    let rating = form.rating.trim();
    if rating.is_empty() || rating.chars().count() > 20 {
        return Err(AppError::bad_input(
            "rating must have 1 to 20 characters (PG-13, 12A, FSK 12…)",
        ));
    }
    let synopsis = form.synopsis.trim();
    if synopsis.chars().count() > 2000 {
        return Err(AppError::bad_input(
            "synopsis must have at most 2000 characters",
        ));
    }
    let hue: i32 = form
        .poster_hue
        .trim()
        .parse()
        .ok()
        .filter(|h| (0..360).contains(h))
        .ok_or_else(|| AppError::bad_input("poster colour must be a hue from 0 to 359"))?;
    let state = AppState::current()?;
    let mut tx = state.db.begin().await?;
    let id: Option<i64> = if form.id == 0 {
        sqlx::query_scalar(
            "INSERT INTO movies (slug, title, synopsis, runtime_minutes, rating, poster_hue)
             VALUES ('staff-' || md5(random()::text), $1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(title)
        .bind(synopsis)
        .bind(runtime)
        .bind(rating)
        .bind(hue)
        .fetch_optional(&mut *tx)
        .await?
    } else {
        sqlx::query_scalar(
            "UPDATE movies SET title = $2, synopsis = $3, runtime_minutes = $4, rating = $5,
                    poster_hue = $6 WHERE id = $1 RETURNING id",
        )
        .bind(form.id)
        .bind(title)
        .bind(synopsis)
        .bind(runtime)
        .bind(rating)
        .bind(hue)
        .fetch_optional(&mut *tx)
        .await?
    };
    let id = id.ok_or_else(|| AppError::not_found(format!("movie {}", form.id)))?;
    let action = if form.id == 0 {
        "movie.create"
    } else {
        "movie.update"
    };
    audit::record(&mut tx, Some(who.id), action, &format!("movie {id}"), title).await?;
    tx.commit().await?;
    changed(&state).await;
    Ok(Done {
        message: format!("Movie “{title}” saved."),
        location: "/admin".into(),
        id: Some(id),
    })
}

pub async fn save_theater(form: TheaterForm) -> Result<Done, AppError> {
    let who = require(Role::Admin)?;
    let name = form.name.trim();
    let city = form.city.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_input("name must have 1 to 100 characters"));
    }
    if city.is_empty() || city.chars().count() > 100 {
        return Err(AppError::bad_input("city must have 1 to 100 characters"));
    }
    let zone = form.timezone.trim();
    if zone.parse::<Tz>().is_err() {
        return Err(AppError::bad_input(
            "time zone must be an IANA name such as Europe/Berlin or America/New_York",
        ));
    }
    let before = NaiveTime::parse_from_str(form.matinee_before.trim(), "%H:%M")
        .map_err(|_| AppError::bad_input("matinees end at a time like 17:00"))?;
    let discount: i32 = form
        .matinee_discount_percent
        .trim()
        .parse()
        .ok()
        .filter(|d| (0..=90).contains(d))
        .ok_or_else(|| AppError::bad_input("matinee discount must be a percentage from 0 to 90"))?;
    let state = AppState::current()?;
    let mut tx = state.db.begin().await?;
    let id: Option<i64> = if form.id == 0 {
        sqlx::query_scalar(
            "INSERT INTO theaters (slug, name, city, timezone, companion_needs_wheelchair,
                                   matinee_before, matinee_discount_percent)
             VALUES ('staff-' || md5(random()::text), $1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name)
        .bind(city)
        .bind(zone)
        .bind(form.companion_needs_wheelchair)
        .bind(before)
        .bind(discount)
        .fetch_optional(&mut *tx)
        .await?
    } else {
        sqlx::query_scalar(
            "UPDATE theaters SET name = $2, city = $3, timezone = $4,
                    companion_needs_wheelchair = $5, matinee_before = $6,
                    matinee_discount_percent = $7
              WHERE id = $1 RETURNING id",
        )
        .bind(form.id)
        .bind(name)
        .bind(city)
        .bind(zone)
        .bind(form.companion_needs_wheelchair)
        .bind(before)
        .bind(discount)
        .fetch_optional(&mut *tx)
        .await?
    };
    let id = id.ok_or_else(|| AppError::not_found(format!("theater {}", form.id)))?;
    let action = if form.id == 0 {
        "theater.create"
    } else {
        "theater.update"
    };
    audit::record(
        &mut tx,
        Some(who.id),
        action,
        &format!("theater {id}"),
        name,
    )
    .await?;
    tx.commit().await?;
    changed(&state).await;
    Ok(Done {
        message: format!("Theater “{name}” saved."),
        location: "/admin".into(),
        id: Some(id),
    })
}
