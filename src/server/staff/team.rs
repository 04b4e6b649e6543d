//! Managing staff accounts: the list, disabling and enabling an account, setting a password.
//! Disabling or a new password ends the account's sessions at once. The last admin who can
//! sign in cannot be disabled, so the staff side never locks itself out.

use sqlx::PgPool;

use super::accounts::{hash_password, validate_account};
use super::{Role, Staff, audit};
use crate::app::admin::StaffAccount;
use crate::app::error::AppError;

pub async fn list(db: &PgPool) -> Result<Vec<StaffAccount>, AppError> {
    let rows: Vec<(i64, String, String, bool, bool)> = sqlx::query_as(
        "SELECT id, email, role, disabled_at IS NOT NULL, COALESCE(locked_until > now(), false)
           FROM staff_users ORDER BY email",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, email, role, disabled, locked)| {
            Some(StaffAccount {
                id,
                email,
                role: Role::parse(&role)?,
                disabled,
                locked,
            })
        })
        .collect())
}

/// The account with this email (lower-cased), for the command line.
pub async fn find(db: &PgPool, email: &str) -> Result<i64, AppError> {
    let email = email.trim().to_lowercase();
    sqlx::query_scalar("SELECT id FROM staff_users WHERE email = $1")
        .bind(&email)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("staff account {email}")))
}

/// Disables (or enables again) an account; disabling ends its sessions.
pub async fn set_disabled(
    db: &PgPool,
    id: i64,
    disabled: bool,
    by: Option<&Staff>,
) -> Result<String, AppError> {
    let mut tx = db.begin().await?;
    // One at a time: two admins disabling each other at once must not both succeed.
    sqlx::query("LOCK TABLE staff_users IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let (email, role): (String, String) =
        sqlx::query_as("SELECT email, role FROM staff_users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::not_found(format!("staff account {id}")))?;
    if disabled && role == Role::Admin.as_str() {
        let others: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM staff_users
              WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if others == 0 {
            return Err(AppError::Conflict {
                message: format!("{email} is the last admin who can sign in"),
            });
        }
    }
    sqlx::query(
        "UPDATE staff_users
            SET disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, now()) END
          WHERE id = $1",
    )
    .bind(id)
    .bind(disabled)
    .execute(&mut *tx)
    .await?;
    if disabled {
        sqlx::query("DELETE FROM staff_sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let action = if disabled {
        "staff.disable"
    } else {
        "staff.enable"
    };
    audit::record(
        &mut tx,
        by.map(|s| s.id),
        action,
        &format!("staff {id}"),
        &email,
    )
    .await?;
    tx.commit().await?;
    Ok(email)
}

/// Sets an account's password; its sessions end and any lock is lifted.
pub async fn set_password(
    db: &PgPool,
    id: i64,
    password: &str,
    by: Option<&Staff>,
) -> Result<String, AppError> {
    let email: String = sqlx::query_scalar("SELECT email FROM staff_users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("staff account {id}")))?;
    validate_account(&email, password)?;
    let hash = hash_password(password)?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE staff_users SET password_hash = $2, failed_logins = 0, locked_until = NULL
          WHERE id = $1",
    )
    .bind(id)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM staff_sessions WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        by.map(|s| s.id),
        "staff.password",
        &format!("staff {id}"),
        &email,
    )
    .await?;
    tx.commit().await?;
    Ok(email)
}
