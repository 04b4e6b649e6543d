//! The staff side: accounts, their sessions, who may open what, and the audit log.
//!
//! - [`accounts`]: argon2id passwords, sign-in with a per-address rate limit and a
//!   per-account lockout, the first admin (from settings, or `marquee admin create-user`).
//! - [`cli`]: `marquee admin …`, accounts from the command line.
//! - [`audit`]: every staff mutation, written with the mutation.
//! - [`catalog`]: movies, theaters, auditoriums and their layouts, the schedule.
//! - [`box_office`]: refunds, blocked seats, counter sales, check-in.
//! - [`reports`]: orders as CSV.
//! - [`team`]: the list of accounts, disabling one, setting a password.
//! - [`respond`]: how a staff form's outcome is answered (a redirect for a browser, JSON
//!   otherwise).
//!
//! A staff session is separate from the visitor's: its own cookie (`marquee_staff`,
//! `HttpOnly`, `SameSite=Strict`, expiring), its own table (only the token's hash is stored).
//! [`middleware`] decides every request under `/admin` and `/api/admin/` from one table
//! ([`access`]): sign-in pages are open, everything else needs a staff session, and the admin
//! role where the table says so. Each staff function asks for its role again ([`require`]),
//! so a route missing from the table is refused rather than open.

pub mod accounts;
pub mod audit;
pub mod box_office;
pub mod catalog;
pub mod cli;
pub mod dashboard;
pub mod reports;
pub mod respond;
pub mod team;

use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, LOCATION, REFERER, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use sha2::{Digest, Sha256};

use super::AppState;
pub use crate::app::admin::Role;
use crate::app::error::AppError;

/// The staff session cookie's name (with `COOKIE_SECURE`, the `__Host-` form).
pub const COOKIE: &str = "marquee_staff";
pub const SECURE_COOKIE: &str = "__Host-marquee_staff";

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE } else { COOKIE }
}

/// A signed-in staff member, put into request extensions by [`middleware`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

impl Staff {
    pub fn may(&self, needed: Role) -> bool {
        needed == Role::BoxOffice || self.role == Role::Admin
    }
}

/// Who may open a path: anyone (sign-in), any staff member, or admins only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Not a staff path at all.
    NotStaff,
    Open,
    Needs(Role),
}

/// The one table of staff paths. Box office works the counter (the showtime dashboards, box
/// office, check-in); everything that changes the catalog, reports and the audit log is for
/// admins. Unknown staff paths need an admin.
pub fn access(path: &str) -> Access {
    let rest = if let Some(rest) = path.strip_prefix("/api/admin") {
        rest
    } else if path == "/admin" || path.starts_with("/admin/") {
        &path["/admin".len()..]
    } else {
        return Access::NotStaff;
    };
    let rest = rest.trim_end_matches('/');
    if matches!(rest, "/login" | "/logout") || rest.starts_with("/login/") {
        return Access::Open;
    }
    let box_office = rest.is_empty()
        || rest == "/me"
        || rest == "/overview"
        || rest.starts_with("/box")
        || rest.starts_with("/showtimes/")
        || rest == "/dashboard";
    if box_office {
        Access::Needs(Role::BoxOffice)
    } else {
        Access::Needs(Role::Admin)
    }
}

/// Finds the staff session and applies [`access`]: a page without a staff session is sent to
/// the sign-in page, a staff call gets `401 sign_in_required`; a role that may not gets `403
/// not_permitted`.
pub async fn middleware(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let needed = match access(&path) {
        Access::NotStaff => return next.run(request).await,
        Access::Open => None,
        Access::Needs(role) => Some(role),
    };
    let jar = CookieJar::from_headers(request.headers());
    let token = jar
        .get(cookie_name(state.settings.cookie_secure))
        .map(|c| c.value().to_string());
    let staff = match token {
        Some(token) => match accounts::session_user(&state, &token).await {
            Ok(staff) => staff,
            Err(error) => return error.into_response(),
        },
        None => None,
    };
    if let Some(needed) = needed {
        // A browser (a page, or a page's form) is sent somewhere it can act: to sign in,
        // coming back to the page after; an API client is told.
        let browser = wants_html(&request);
        let from = if path.starts_with("/api/") {
            referer_path(&request)
        } else {
            path_and_query(&request)
        };
        match &staff {
            None if browser => {
                return see_other(&format!("/admin/login?next={}", next_param(&from)), None);
            }
            None => return AppError::SignInRequired.into_response(),
            Some(staff) if !staff.may(needed) && browser && path.starts_with("/api/") => {
                let back = if is_admin_path(&from) {
                    from
                } else {
                    "/admin".into()
                };
                return see_other(&back, Some("Your role may not do this."));
            }
            Some(staff) if !staff.may(needed) => return AppError::NotPermitted.into_response(),
            Some(_) => {}
        }
    }
    if let Some(staff) = staff {
        request.extensions_mut().insert(staff);
    }
    next.run(request).await
}

/// `303 See Other` to `to`, with a message for the page there.
fn see_other(to: &str, message: Option<&str>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, value);
    }
    if let Some(message) = message
        && let Some(cookie) = respond::flash_cookie(false, message)
    {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

fn path_and_query(request: &Request) -> String {
    request
        .uri()
        .path_and_query()
        .map_or_else(|| "/admin".to_string(), |p| p.as_str().to_string())
}

/// The path (and query) of the page a form was posted from, when it is ours.
fn referer_path(request: &Request) -> String {
    request
        .headers()
        .get(REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| referer.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_string()))
        .unwrap_or_else(|| "/admin".to_string())
}

/// A browser navigating (as opposed to an API client).
fn wants_html(request: &Request) -> bool {
    request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The path to come back to after signing in: only our own `/admin` paths, so the sign-in
/// page cannot be made to send anyone elsewhere.
pub fn next_param(path: &str) -> String {
    if is_admin_path(path) {
        path.replace('?', "%3F")
            .replace('&', "%26")
            .replace('=', "%3D")
    } else {
        "/admin".to_string()
    }
}

/// One of our own `/admin` paths (with its query), and nothing a browser could take for
/// another host (`//`, `\\`).
pub fn is_admin_path(path: &str) -> bool {
    (path == "/admin" || path.starts_with("/admin/") || path.starts_with("/admin?"))
        && !path.contains("//")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.?=&%".contains(&b))
}

/// The staff member of the request being handled, if signed in.
pub fn current() -> Option<Staff> {
    use leptos::prelude::use_context;
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Staff>().cloned())
}

/// The signed-in staff member, who must have `role` (an admin may do anything).
pub fn require(role: Role) -> Result<Staff, AppError> {
    let staff = current().ok_or(AppError::SignInRequired)?;
    if staff.may(role) {
        Ok(staff)
    } else {
        Err(AppError::NotPermitted)
    }
}

/// What the sessions table stores of a token: its SHA-256, hex.
fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_staff_path_is_in_the_table_and_unknown_ones_need_an_admin() {
        assert_eq!(access("/"), Access::NotStaff);
        assert_eq!(access("/administrator"), Access::NotStaff);
        assert_eq!(access("/api/forms/hold"), Access::NotStaff);
        assert_eq!(access("/admin/login"), Access::Open);
        assert_eq!(access("/api/admin/login"), Access::Open);
        assert_eq!(access("/api/admin/login/flash"), Access::Open);
        assert_eq!(access("/api/admin/me"), Access::Needs(Role::BoxOffice));
        assert_eq!(access("/admin"), Access::Needs(Role::BoxOffice));
        assert_eq!(access("/admin/showtimes/4"), Access::Needs(Role::BoxOffice));
        assert_eq!(
            access("/api/admin/box/refund"),
            Access::Needs(Role::BoxOffice)
        );
        assert_eq!(access("/admin/movies"), Access::Needs(Role::Admin));
        assert_eq!(
            access("/api/admin/catalog/movie"),
            Access::Needs(Role::Admin)
        );
        assert_eq!(access("/admin/audit"), Access::Needs(Role::Admin));
        assert_eq!(access("/admin/anything-new"), Access::Needs(Role::Admin));
    }

    #[test]
    fn sign_in_sends_back_only_to_admin_paths() {
        assert_eq!(next_param("/admin/movies"), "/admin/movies");
        assert_eq!(next_param("//evil.example"), "/admin");
        assert_eq!(next_param("/admin/x?y=//evil"), "/admin");
        assert_eq!(
            next_param("/admin/auditoriums/new?theater=3"),
            "/admin/auditoriums/new%3Ftheater%3D3"
        );
        assert!(!is_admin_path("/admin\\evil"));
        assert!(!is_admin_path("/administrator"));
    }
}
