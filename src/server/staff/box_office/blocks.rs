//! Blocked seats: staff take seats off sale (house seats, a broken seat) and give them back.

use super::{free_seats, parse_seats};
use crate::app::admin::Done;
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::staff::{Role, audit, require};

/// Blocks seats of a showtime: nobody can hold them until they are unblocked. Refused for
/// seats that are sold, blocked already, or held right now.
pub async fn block(showtime_id: i64, seats: &str, reason: &str) -> Result<Done, AppError> {
    let who = require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::bad_input(
            "say why, in 1 to 200 characters (house seats, broken…)",
        ));
    }
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    let ids = parse_seats(&showtime, seats)?;
    let names = showtime.names(&ids).join(", ");
    let mut tx = state.db.begin().await?;
    let taken: Vec<i64> = sqlx::query_scalar(
        "SELECT seat_id FROM tickets WHERE showtime_id = $1 AND seat_id = ANY($2) AND active
         UNION SELECT seat_id FROM seat_blocks WHERE showtime_id = $1 AND seat_id = ANY($2)",
    )
    .bind(showtime_id)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    if !taken.is_empty() {
        return Err(AppError::SeatTaken {
            seats: showtime.names(&taken),
        });
    }
    for id in &ids {
        sqlx::query(
            "INSERT INTO seat_blocks (showtime_id, seat_id, reason, blocked_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(showtime_id)
        .bind(id)
        .bind(reason)
        .bind(who.id)
        .execute(&mut *tx)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => AppError::SeatTaken {
                seats: vec![names.clone()],
            },
            _ => error.into(),
        })?;
    }
    audit::record(
        &mut tx,
        Some(who.id),
        "seat.block",
        &format!("showtime {showtime_id} seats {names}"),
        reason,
    )
    .await?;
    // Redis decides while the rows are not yet committed: a seat held right now refuses the
    // whole block, and the transaction is rolled back with it.
    match state.holds.block(&state.db, showtime_id, &ids).await? {
        Ok(()) => {}
        Err(held) => {
            tx.rollback().await?;
            return Err(AppError::SeatTaken {
                seats: showtime.names(&held),
            });
        }
    }
    if let Err(error) = tx.commit().await {
        // Redis has them blocked, Postgres (probably) not: free what Postgres has free.
        free_seats(&state, showtime_id, &ids).await;
        return Err(error.into());
    }
    Ok(Done {
        message: format!("Blocked {names}: nobody can hold them."),
        location: format!("/admin/showtimes/{showtime_id}"),
        id: None,
    })
}

/// Unblocks seats: they are free again, the waiting line first.
pub async fn unblock(showtime_id: i64, seats: &str) -> Result<Done, AppError> {
    let who = require(Role::BoxOffice)?;
    let state = AppState::current()?;
    let showtime = state.showtimes.get(&state.db, showtime_id).await?;
    let ids = parse_seats(&showtime, seats)?;
    let mut tx = state.db.begin().await?;
    let removed: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM seat_blocks WHERE showtime_id = $1 AND seat_id = ANY($2) RETURNING seat_id",
    )
    .bind(showtime_id)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    let missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !removed.contains(id))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Conflict {
            message: format!(
                "{} {} not blocked",
                showtime.names(&missing).join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
        });
    }
    let names = showtime.names(&ids).join(", ");
    audit::record(
        &mut tx,
        Some(who.id),
        "seat.unblock",
        &format!("showtime {showtime_id} seats {names}"),
        "",
    )
    .await?;
    tx.commit().await?;
    free_seats(&state, showtime_id, &ids).await;
    Ok(Done {
        message: format!("Unblocked {names}."),
        location: format!("/admin/showtimes/{showtime_id}"),
        id: None,
    })
}
