//! Staff accounts: argon2id password hashes, sign-in, sessions, the first admin.
//!
//! Sign-in is limited twice: per client address (`RATE_STAFF_LOGINS_PER_IP`, shared by every
//! instance in Redis), and per account: [`MAX_FAILED`] wrong passwords in a row lock it for
//! [`LOCKOUT`] (in Postgres, so every instance agrees). A wrong email and a wrong password get
//! the same answer, and the hash is checked either way, so timing tells nothing about which
//! accounts exist. Every sign-in, failed sign-in and sign-out is in the audit log.

use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use chrono::{DateTime, Utc};
use leptos::prelude::expect_context;
use leptos_axum::ResponseOptions;
use sqlx::PgPool;

use super::{Role, Staff, audit, token_hash};
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::limits::{Asker, Budget};
use crate::server::session::random_token;

/// Wrong passwords in a row that lock an account.
pub const MAX_FAILED: i32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// The shortest password an account may have.
pub const MIN_PASSWORD: usize = 12;

/// argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|_| AppError::Internal)?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| {
            tracing::error!(%error, "password hashing failed");
            AppError::Internal
        })
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash no password matches, checked when the email is unknown so that answer takes as
/// long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// Checks an email and a password as an account would get them.
pub fn validate_account(email: &str, password: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    if email.len() < 3 || email.len() > 254 || !email.contains('@') || email.contains(' ') {
        return Err(AppError::bad_input(
            "email must be an address like name@example.com",
        ));
    }
    if password.chars().count() < MIN_PASSWORD {
        return Err(AppError::bad_input(format!(
            "password must have at least {MIN_PASSWORD} characters"
        )));
    }
    if password.len() > 1024 {
        return Err(AppError::bad_input("password is too long"));
    }
    Ok(email)
}

/// Makes an account. `by` is the admin making it (none from the command line or settings).
pub async fn create_user(
    db: &PgPool,
    email: &str,
    password: &str,
    role: Role,
    by: Option<&Staff>,
) -> Result<i64, AppError> {
    let email = validate_account(email, password)?;
    let hash = hash_password(password)?;
    let mut tx = db.begin().await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO staff_users (email, password_hash, role) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(&email)
    .bind(&hash)
    .bind(role.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or_else(|| AppError::Conflict {
        message: format!("a staff account for {email} exists already"),
    })?;
    audit::record(
        &mut tx,
        by.map(|s| s.id),
        "staff.create",
        &format!("staff {id}"),
        &format!("{email} as {}", role.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// On start: the first admin from `ADMIN_EMAIL`/`ADMIN_PASSWORD`, if no account exists yet.
pub async fn ensure_first_admin(state: &AppState) -> Result<(), AppError> {
    let (Some(email), Some(password)) = (
        state.settings.admin_email.as_deref(),
        state.settings.admin_password.as_ref(),
    ) else {
        return Ok(());
    };
    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM staff_users)")
        .fetch_one(&state.db)
        .await?;
    if any {
        return Ok(());
    }
    match create_user(&state.db, email, password.expose(), Role::Admin, None).await {
        Ok(id) => tracing::info!(id, "first admin account made from ADMIN_EMAIL"),
        // Another instance made it at the same moment.
        Err(AppError::Conflict { .. }) => {}
        Err(error) => return Err(error),
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    email: String,
    password_hash: String,
    role: String,
    locked_until: Option<DateTime<Utc>>,
}

/// Signs in: on success a new session and its cookie; the account's failures reset.
pub async fn login(email: &str, password: &str) -> Result<Staff, AppError> {
    let state = AppState::current()?;
    let client = crate::server::client::current()?;
    state
        .limiter
        .spend(
            Budget::StaffLogins,
            Asker {
                client,
                session: None,
            },
        )
        .await?;
    let email = email.trim().to_lowercase();
    if email.is_empty() || email.len() > 254 || password.is_empty() || password.len() > 1024 {
        return Err(AppError::BadCredentials);
    }
    let row = sqlx::query_as::<_, AccountRow>(
        "SELECT id, email, password_hash, role, locked_until
           FROM staff_users WHERE email = $1 AND disabled_at IS NULL",
    )
    .bind(&email)
    .fetch_optional(&state.db)
    .await?;
    let Some(row) = row else {
        // An unknown (or disabled) email is answered as a known one would be, locking included (counted
        // from the audit log), so the answers tell nothing about which accounts exist.
        let recent: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND target = $1
                AND at > now() - make_interval(secs => $2)",
        )
        .bind(&email)
        .bind(LOCKOUT.as_secs_f64())
        .fetch_one(&state.db)
        .await?;
        if recent >= i64::from(MAX_FAILED) {
            return Err(locked(LOCKOUT));
        }
        let _ = verify_password(password, decoy_hash());
        let mut tx = state.db.begin().await?;
        audit::record(&mut tx, None, "login.failed", &email, "wrong password").await?;
        tx.commit().await?;
        return Err(if recent + 1 >= i64::from(MAX_FAILED) {
            locked(LOCKOUT)
        } else {
            AppError::BadCredentials
        });
    };
    let now = Utc::now();
    if let Some(until) = row.locked_until.filter(|until| *until > now) {
        let left = (until - now).to_std().unwrap_or(LOCKOUT);
        return Err(locked(left));
    }
    if !verify_password(password, &row.password_hash) {
        let mut tx = state.db.begin().await?;
        let failed: i32 = sqlx::query_scalar(
            "UPDATE staff_users
                SET failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= now()
                                         THEN 1 ELSE failed_logins + 1 END,
                    locked_until = NULL
              WHERE id = $1 RETURNING failed_logins",
        )
        .bind(row.id)
        .fetch_one(&mut *tx)
        .await?;
        let is_locked = failed >= MAX_FAILED;
        if is_locked {
            sqlx::query(
                "UPDATE staff_users SET locked_until = now() + make_interval(secs => $2)
                  WHERE id = $1",
            )
            .bind(row.id)
            .bind(LOCKOUT.as_secs_f64())
            .execute(&mut *tx)
            .await?;
        }
        // Whoever typed the password is not known to be the account's owner: no user.
        audit::record(&mut tx, None, "login.failed", &row.email, "wrong password").await?;
        tx.commit().await?;
        return Err(if is_locked {
            locked(LOCKOUT)
        } else {
            AppError::BadCredentials
        });
    }
    let role = Role::parse(&row.role).ok_or(AppError::Internal)?;
    let token = random_token() + &random_token();
    let ttl = state.settings.staff_session_ttl;
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE staff_users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO staff_sessions (token_hash, user_id, expires_at)
         VALUES ($1, $2, now() + make_interval(secs => $3))",
    )
    .bind(token_hash(&token))
    .bind(row.id)
    .bind(ttl.as_secs_f64())
    .execute(&mut *tx)
    .await?;
    // Sessions that ended long ago are of no use to anyone.
    sqlx::query("DELETE FROM staff_sessions WHERE expires_at < now() - interval '1 day'")
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, Some(row.id), "login", &row.email, "").await?;
    tx.commit().await?;
    set_cookie(&state, &token, ttl.as_secs())?;
    Ok(Staff {
        id: row.id,
        email: row.email,
        role,
    })
}

fn locked(left: Duration) -> AppError {
    AppError::AccountLocked {
        retry_after_ms: u64::try_from(left.as_millis()).unwrap_or(u64::MAX).max(1),
    }
}

/// Signs out: the session is deleted and the cookie removed.
pub async fn logout() -> Result<(), AppError> {
    let state = AppState::current()?;
    let token = leptos::prelude::use_context::<axum::http::request::Parts>().and_then(|parts| {
        axum_extra::extract::cookie::CookieJar::from_headers(&parts.headers)
            .get(super::cookie_name(state.settings.cookie_secure))
            .map(|c| c.value().to_string())
    });
    if let Some(token) = token {
        let mut tx = state.db.begin().await?;
        let user: Option<(i64, String)> = sqlx::query_as(
            "DELETE FROM staff_sessions s USING staff_users u
              WHERE s.token_hash = $1 AND u.id = s.user_id RETURNING u.id, u.email",
        )
        .bind(token_hash(&token))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id, email)) = user {
            audit::record(&mut tx, Some(id), "logout", &email, "").await?;
        }
        tx.commit().await?;
    }
    set_cookie(&state, "", 0)
}

/// The staff member a session token names, while the session lasts.
pub async fn session_user(state: &AppState, token: &str) -> Result<Option<Staff>, AppError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT u.id, u.email, u.role FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
          WHERE s.token_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL",
    )
    .bind(token_hash(token))
    .fetch_optional(&state.db)
    .await?;
    Ok(row.and_then(|(id, email, role)| {
        Some(Staff {
            id,
            email,
            role: Role::parse(&role)?,
        })
    }))
}

/// The staff cookie: `HttpOnly`, `SameSite=Strict` (no other site can make a browser send
/// it, not even on a link), for the whole site (the staff API is under `/api/admin`).
fn set_cookie(state: &AppState, token: &str, max_age: u64) -> Result<(), AppError> {
    let secure = state.settings.cookie_secure;
    let cookie = format!(
        "{}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        super::cookie_name(secure),
        if secure { "; Secure" } else { "" }
    );
    let value = HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?;
    expect_context::<ResponseOptions>().append_header(SET_COOKIE, value);
    Ok(())
}
