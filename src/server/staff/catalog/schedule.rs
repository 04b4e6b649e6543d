//! The schedule: a showtime per room and time, never overlapping another, at prices after
//! the theater's matinee rule; and cancelling one.

use chrono::{NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

use crate::app::admin::{Done, ShowtimeForm, parse_price};
use crate::app::catalog::SeatKind;
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::catalog::{changed, starts_label};
use crate::server::staff::{Role, audit, require};

/// Minutes a room needs between two showtimes (cleaning, the audience leaving).
pub const TURNAROUND_MINUTES: i32 = 15;

/// Schedules a showtime, refusing one that overlaps another in the same room (its runtime
/// plus [`TURNAROUND_MINUTES`]). The room is locked while checking, so two showtimes
/// scheduled at once cannot both pass the check.
pub async fn schedule(form: ShowtimeForm) -> Result<Done, AppError> {
    let who = require(Role::Admin)?;
    let mut prices = Vec::new();
    for (kind, text) in SeatKind::ALL.into_iter().zip(&form.prices) {
        prices.push((kind, parse_price(kind, text).map_err(AppError::bad_input)?));
    }
    let local = NaiveDateTime::parse_from_str(form.starts_at.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| AppError::bad_input("start must be a date and time like 2026-12-24T19:30"))?;
    let state = AppState::current()?;
    let mut tx = state.db.begin().await?;
    let room: Option<(String, String, NaiveTime, i32)> = sqlx::query_as(
        "SELECT a.name, t.timezone, t.matinee_before, t.matinee_discount_percent
           FROM auditoriums a JOIN theaters t ON t.id = a.theater_id WHERE a.id = $1
            FOR UPDATE OF a",
    )
    .bind(form.auditorium_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (room, zone, matinee_before, discount) =
        room.ok_or_else(|| AppError::bad_input(format!("no auditorium {}", form.auditorium_id)))?;
    let movie: Option<(String, i32)> =
        sqlx::query_as("SELECT title, runtime_minutes FROM movies WHERE id = $1")
            .bind(form.movie_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (title, runtime) =
        movie.ok_or_else(|| AppError::bad_input(format!("no movie {}", form.movie_id)))?;
    let tz: Tz = zone.parse().map_err(|_| AppError::Internal)?;
    let starts = tz
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| AppError::bad_input("that time does not exist in the theater's time zone"))?
        .with_timezone(&chrono::Utc);
    if starts <= chrono::Utc::now() {
        return Err(AppError::bad_input("a showtime must start in the future"));
    }
    let clash: Option<(i64, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT s.id, m.title, s.starts_at FROM showtimes s JOIN movies m ON m.id = s.movie_id
          WHERE s.auditorium_id = $1 AND s.cancelled_at IS NULL
            AND s.starts_at < $2 + make_interval(mins => $3 + $4)
            AND $2 < s.starts_at + make_interval(mins => m.runtime_minutes + $4)
          ORDER BY s.starts_at LIMIT 1",
    )
    .bind(form.auditorium_id)
    .bind(starts)
    .bind(runtime)
    .bind(TURNAROUND_MINUTES)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((other, other_title, at)) = clash {
        return Err(AppError::Conflict {
            message: format!(
                "{room} is busy then: {other_title} at {} (showtime {other}) with {TURNAROUND_MINUTES} min to turn the room around",
                starts_label(at, &zone)
            ),
        });
    }
    let matinee = local.time() < matinee_before && discount > 0;
    if matinee {
        for (_, cents) in &mut prices {
            *cents = (*cents * i64::from(100 - discount) + 50) / 100;
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO showtimes (movie_id, auditorium_id, starts_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(form.movie_id)
    .bind(form.auditorium_id)
    .bind(starts)
    .fetch_one(&mut *tx)
    .await?;
    for (kind, cents) in &prices {
        sqlx::query(
            "INSERT INTO showtime_prices (showtime_id, kind, price_cents) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(kind)
        .bind(i32::try_from(*cents).map_err(|_| AppError::bad_input("price too large"))?)
        .execute(&mut *tx)
        .await?;
    }
    let when = starts_label(starts, &zone);
    let detail = format!(
        "{title} in {room} at {when}{}",
        if matinee {
            format!(", matinee −{discount}%")
        } else {
            String::new()
        }
    );
    audit::record(
        &mut tx,
        Some(who.id),
        "showtime.create",
        &format!("showtime {id}"),
        &detail,
    )
    .await?;
    tx.commit().await?;
    changed(&state).await;
    Ok(Done {
        message: format!("Scheduled: {detail}."),
        location: format!("/admin/showtimes/{id}"),
        id: Some(id),
    })
}

/// Cancels a showtime: it leaves the listings and no longer sells (holds and purchases are
/// refused). Its orders stay; box office refunds them.
pub async fn cancel(showtime_id: i64) -> Result<Done, AppError> {
    let who = require(Role::Admin)?;
    let state = AppState::current()?;
    let mut tx = state.db.begin().await?;
    let cancelled = sqlx::query(
        "UPDATE showtimes SET cancelled_at = now() WHERE id = $1 AND cancelled_at IS NULL",
    )
    .bind(showtime_id)
    .execute(&mut *tx)
    .await?;
    if cancelled.rows_affected() == 0 {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM showtimes WHERE id = $1)")
                .bind(showtime_id)
                .fetch_one(&mut *tx)
                .await?;
        return Err(if exists {
            AppError::Conflict {
                message: format!("showtime {showtime_id} is cancelled already"),
            }
        } else {
            AppError::not_found(format!("showtime {showtime_id}"))
        });
    }
    audit::record(
        &mut tx,
        Some(who.id),
        "showtime.cancel",
        &format!("showtime {showtime_id}"),
        "",
    )
    .await?;
    tx.commit().await?;
    changed(&state).await;
    Ok(Done {
        message: format!("Showtime {showtime_id} cancelled: it no longer sells."),
        location: format!("/admin/showtimes/{showtime_id}"),
        id: Some(showtime_id),
    })
}
