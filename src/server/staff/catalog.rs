//! Catalog management: movies, theaters, auditoriums and their layouts, the schedule.
//!
//! Everything is validated here, on the server, with a message naming the field. Each change
//! is one transaction with its audit entry, and is announced with `catalog::changed`, so
//! public pages on every instance show it at once.

use chrono::{NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

use super::{Role, audit, require};
use crate::app::admin::layout::{self, Layout};
use crate::app::admin::{
    AdminAuditoriumRow, AdminMovieRow, AdminShowtimeRow, AdminTheaterRow, AuditoriumEdit, Done, Me,
    MovieForm, Overview, ShowtimeForm, TheaterForm, parse_price,
};
use crate::app::catalog::SeatKind;
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::catalog::{changed, starts_label};

/// Minutes a room needs between two showtimes (cleaning, the audience leaving).
pub const TURNAROUND_MINUTES: i32 = 15;

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

/// An auditorium for the editor; `id` 0 is a new one in `theater_id`.
pub async fn auditorium(id: i64, theater_id: i64) -> Result<AuditoriumEdit, AppError> {
    require(Role::Admin)?;
    let state = AppState::current()?;
    if id == 0 {
        let theater: String = sqlx::query_scalar("SELECT name FROM theaters WHERE id = $1")
            .bind(theater_id)
            .fetch_optional(&state.db)
            .await?
            .ok_or_else(|| AppError::not_found(format!("theater {theater_id}")))?;
        return Ok(AuditoriumEdit {
            id: 0,
            theater_id,
            theater,
            name: String::new(),
            layout:
                "A: ssss.ssssss.ssss\nB: ssss.ssssss.ssss\nC: ssss.pppppp.ssss\n\nD: wc..........cw"
                    .into(),
            locked_seats: Vec::new(),
        });
    }
    let (theater_id, theater, name): (i64, String, String) = sqlx::query_as(
        "SELECT t.id, t.name, a.name FROM auditoriums a JOIN theaters t ON t.id = a.theater_id
          WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(|| AppError::not_found(format!("auditorium {id}")))?;
    let current = current_layout(&state.db, id).await?;
    let locked: Vec<(String, i32)> = sqlx::query_as(
        "SELECT DISTINCT s.row_label, s.number FROM seats s JOIN tickets t ON t.seat_id = s.id
          WHERE s.auditorium_id = $1 ORDER BY 1, 2",
    )
    .bind(id)
    .fetch_all(&state.db)
    .await?;
    Ok(AuditoriumEdit {
        id,
        theater_id,
        theater,
        name,
        layout: layout::render(&current),
        locked_seats: locked.into_iter().map(|(r, n)| format!("{r}{n}")).collect(),
    })
}

async fn current_layout(db: &sqlx::PgPool, id: i64) -> Result<Layout, AppError> {
    let (grid_rows, grid_cols): (i32, i32) =
        sqlx::query_as("SELECT grid_rows, grid_cols FROM auditoriums WHERE id = $1")
            .bind(id)
            .fetch_one(db)
            .await?;
    let seats = sqlx::query_as::<_, (String, i32, i32, i32, SeatKind)>(
        "SELECT row_label, number, grid_row, grid_col, kind FROM seats WHERE auditorium_id = $1
          ORDER BY grid_row, grid_col",
    )
    .bind(id)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(
        |(row_label, number, grid_row, grid_col, kind)| layout::LayoutSeat {
            row_label,
            number,
            grid_row,
            grid_col,
            kind,
        },
    )
    .collect();
    Ok(Layout {
        grid_rows,
        grid_cols,
        seats,
    })
}

/// Saves an auditorium and its layout. Seats keep their identity by row and number: a seat
/// of the old layout at a new place or of a new kind is the same seat (its tickets stay
/// valid); a seat the new layout lacks is removed, which is refused for a seat that has
/// tickets (sold or refunded), whatever the showtime. Blocks of removed seats go with them.
pub async fn save_auditorium(
    id: i64,
    theater_id: i64,
    name: &str,
    text: &str,
) -> Result<Done, AppError> {
    let who = require(Role::Admin)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_input("name must have 1 to 100 characters"));
    }
    let new = layout::parse(text).map_err(|e| AppError::bad_input(format!("layout: {e}")))?;
    let state = AppState::current()?;
    let mut tx = state.db.begin().await?;
    let id = if id == 0 {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM theaters WHERE id = $1)")
                .bind(theater_id)
                .fetch_one(&mut *tx)
                .await?;
        if !exists {
            return Err(AppError::not_found(format!("theater {theater_id}")));
        }
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO auditoriums (theater_id, name, grid_rows, grid_cols)
             VALUES ($1, $2, $3, $4) ON CONFLICT (theater_id, name) DO NOTHING RETURNING id",
        )
        .bind(theater_id)
        .bind(name)
        .bind(new.grid_rows)
        .bind(new.grid_cols)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::Conflict {
            message: format!("the theater has a room called {name} already"),
        })?
    } else {
        // Locks the room: two editors of one layout take turns.
        let updated = sqlx::query(
            "UPDATE auditoriums SET name = $2, grid_rows = $3, grid_cols = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(new.grid_rows)
        .bind(new.grid_cols)
        .execute(&mut *tx)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => AppError::Conflict {
                message: format!("the theater has a room called {name} already"),
            },
            _ => error.into(),
        })?;
        if updated.rows_affected() == 0 {
            return Err(AppError::not_found(format!("auditorium {id}")));
        }
        id
    };
    let old: Vec<(i64, String, i32, bool)> = sqlx::query_as(
        "SELECT s.id, s.row_label, s.number,
                EXISTS (SELECT 1 FROM tickets t WHERE t.seat_id = s.id)
           FROM seats s WHERE s.auditorium_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let keeps = |row: &str, number: i32| {
        new.seats
            .iter()
            .any(|s| s.row_label == row && s.number == number)
    };
    let mut lost: Vec<String> = old
        .iter()
        .filter(|(_, row, number, ticketed)| *ticketed && !keeps(row, *number))
        .map(|(_, row, number, _)| format!("{row}{number}"))
        .collect();
    if !lost.is_empty() {
        lost.sort();
        return Err(AppError::Conflict {
            message: format!(
                "the new layout drops or renumbers {}, which {} tickets; keep {} row and number",
                lost.join(", "),
                if lost.len() == 1 { "has" } else { "have" },
                if lost.len() == 1 { "its" } else { "their" },
            ),
        });
    }
    let dropped: Vec<i64> = old
        .iter()
        .filter(|(_, row, number, _)| !keeps(row, *number))
        .map(|(id, ..)| *id)
        .collect();
    sqlx::query("DELETE FROM seat_blocks WHERE seat_id = ANY($1)")
        .bind(&dropped)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM seats WHERE id = ANY($1)")
        .bind(&dropped)
        .execute(&mut *tx)
        .await?;
    // Out of the way first: a kept seat may move to where another one was.
    sqlx::query("UPDATE seats SET grid_row = grid_row + 100000 WHERE auditorium_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for seat in &new.seats {
        sqlx::query(
            "INSERT INTO seats (auditorium_id, row_label, number, grid_row, grid_col, kind)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (auditorium_id, row_label, number)
             DO UPDATE SET grid_row = EXCLUDED.grid_row, grid_col = EXCLUDED.grid_col,
                           kind = EXCLUDED.kind",
        )
        .bind(id)
        .bind(&seat.row_label)
        .bind(seat.number)
        .bind(seat.grid_row)
        .bind(seat.grid_col)
        .bind(seat.kind)
        .execute(&mut *tx)
        .await?;
    }
    let detail = format!(
        "{name}: {} seats on {}×{}, {} removed",
        new.seats.len(),
        new.grid_rows,
        new.grid_cols,
        dropped.len()
    );
    audit::record(
        &mut tx,
        Some(who.id),
        "auditorium.save",
        &format!("auditorium {id}"),
        &detail,
    )
    .await?;
    tx.commit().await?;
    changed(&state).await;
    Ok(Done {
        message: format!("Room {name} saved: {} seats.", new.seats.len()),
        location: format!("/admin/auditoriums/{id}"),
        id: Some(id),
    })
}

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
