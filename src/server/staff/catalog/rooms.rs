//! Auditoriums and their layouts: the editor's data, and saving a layout without losing a
//! seat that has tickets.

use crate::app::admin::layout::{self, Layout};
use crate::app::admin::{AuditoriumEdit, Done};
use crate::app::catalog::SeatKind;
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::catalog::changed;
use crate::server::staff::{Role, audit, require};

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
