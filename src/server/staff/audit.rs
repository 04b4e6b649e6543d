//! The audit log: who did what, when. Written in the same transaction as the change it
//! records, so there is never a change without its entry (nor an entry without its change).

use sqlx::{Postgres, Transaction};

use crate::app::admin::AuditEntry;
use crate::app::error::AppError;
use crate::server::AppState;

/// Records one action. `target` names what it was done to ("movie 7"), `detail` anything a
/// reader needs besides (never a password or a card number).
pub async fn record(
    tx: &mut Transaction<'_, Postgres>,
    user: Option<i64>,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (user_id, action, target, detail) VALUES ($1, $2, $3, $4)")
        .bind(user)
        .bind(action)
        .bind(truncate(target, 300))
        .bind(truncate(detail, 1000))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// The latest entries, newest first.
pub async fn latest(state: &AppState, limit: i64) -> Result<Vec<AuditEntry>, AppError> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT a.id, u.email, a.action, a.target, a.detail, a.at
               FROM audit_log a LEFT JOIN staff_users u ON u.id = a.user_id
              ORDER BY a.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&state.db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| AuditEntry {
            id: row.id,
            who: row.email.unwrap_or_default(),
            action: row.action,
            target: row.target,
            detail: row.detail,
            at: row.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    email: Option<String>,
    action: String,
    target: String,
    detail: String,
    at: chrono::DateTime<chrono::Utc>,
}
