//! The staff server functions, under `/api/admin/` (docs/api.md, "Staff").
//!
//! Mutations are form-encoded posts (the pages' forms); each answers a browser with `303` to
//! the next page and an API client with [`Done`] as JSON (or the error's status and body).
//! Reads are form-encoded posts too (Leptos' default), answered with JSON. Every one is
//! refused without a staff session (`401 sign_in_required`), and the admin-only ones to box
//! office (`403 not_permitted`).

use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;

use super::{AuditEntry, AuditoriumEdit, Dashboard, Done, Flash, Me, Overview};
use crate::app::error::AppError;

#[cfg(feature = "ssr")]
use crate::server::staff::{self, Role, respond::answer};

// --- Signing in ----------------------------------------------------------------------------

#[server(prefix = "/api/admin", endpoint = "login", input = PostUrl)]
pub async fn login(email: String, password: String, next: String) -> Result<Done, AppError> {
    let next = if staff::is_admin_path(&next) && !next.starts_with("/admin/login") {
        next
    } else {
        "/admin".to_string()
    };
    let back = format!("/admin/login?next={}", staff::next_param(&next));
    let outcome = staff::accounts::login(&email, &password).await.map(|who| {
        let location = next.clone();
        Done {
            message: format!("Signed in as {}.", who.email),
            location,
            id: Some(who.id),
        }
    });
    answer(outcome, &back)
}

#[server(prefix = "/api/admin", endpoint = "logout", input = PostUrl)]
pub async fn logout() -> Result<Done, AppError> {
    let outcome = staff::accounts::logout().await.map(|()| Done {
        message: "Signed out.".into(),
        location: "/admin/login".into(),
        id: None,
    });
    answer(outcome, "/admin/login")
}

/// The message the last staff form left for this page (read once).
#[server(prefix = "/api/admin", endpoint = "login/flash")]
pub async fn take_flash() -> Result<Option<Flash>, AppError> {
    Ok(staff::respond::take_flash())
}

#[server(prefix = "/api/admin", endpoint = "me")]
pub async fn signed_in() -> Result<Me, AppError> {
    let who = staff::require(Role::BoxOffice)?;
    Ok(Me {
        email: who.email,
        role: who.role,
    })
}

// --- Reads -----------------------------------------------------------------------------------

#[server(prefix = "/api/admin", endpoint = "overview")]
pub async fn load_overview() -> Result<Overview, AppError> {
    staff::catalog::overview().await
}

#[server(prefix = "/api/admin", endpoint = "auditorium")]
pub async fn auditorium(id: i64, theater_id: i64) -> Result<AuditoriumEdit, AppError> {
    staff::catalog::auditorium(id, theater_id).await
}

#[server(prefix = "/api/admin", endpoint = "showtimes/dashboard")]
pub async fn load_dashboard(showtime_id: i64) -> Result<Dashboard, AppError> {
    staff::dashboard::dashboard(showtime_id).await
}

#[server(prefix = "/api/admin", endpoint = "audit")]
pub async fn audit_log() -> Result<Vec<AuditEntry>, AppError> {
    staff::require(Role::Admin)?;
    staff::audit::latest(&crate::server::AppState::current()?, 200).await
}

// --- The catalog (admins) --------------------------------------------------------------------

/// Makes a movie (`id` 0) or changes one.
#[server(prefix = "/api/admin", endpoint = "catalog/movie", input = PostUrl)]
pub async fn save_movie(
    id: i64,
    title: String,
    runtime_minutes: String,
    rating: String,
    synopsis: String,
    poster_hue: String,
) -> Result<Done, AppError> {
    let form = super::MovieForm {
        id,
        title,
        runtime_minutes,
        rating,
        synopsis,
        poster_hue,
    };
    let back = format!(
        "/admin/movies/{}",
        if id == 0 {
            "new".into()
        } else {
            id.to_string()
        }
    );
    answer(staff::catalog::save_movie(form).await, &back)
}

/// Makes a theater (`id` 0) or changes one.
#[server(prefix = "/api/admin", endpoint = "catalog/theater", input = PostUrl)]
pub async fn save_theater(
    id: i64,
    name: String,
    city: String,
    timezone: String,
    #[server(default)] companion_needs_wheelchair: Option<String>,
    matinee_before: String,
    matinee_discount_percent: String,
) -> Result<Done, AppError> {
    let form = super::TheaterForm {
        id,
        name,
        city,
        timezone,
        companion_needs_wheelchair: companion_needs_wheelchair.is_some(),
        matinee_before,
        matinee_discount_percent,
    };
    let back = format!(
        "/admin/theaters/{}",
        if id == 0 {
            "new".into()
        } else {
            id.to_string()
        }
    );
    answer(staff::catalog::save_theater(form).await, &back)
}

/// Makes an auditorium (`id` 0) in `theater_id`, or changes one's name and layout.
#[server(prefix = "/api/admin", endpoint = "catalog/auditorium", input = PostUrl)]
pub async fn save_auditorium(
    id: i64,
    theater_id: i64,
    name: String,
    layout: String,
) -> Result<Done, AppError> {
    let back = if id == 0 {
        format!("/admin/auditoriums/new?theater={theater_id}")
    } else {
        format!("/admin/auditoriums/{id}")
    };
    answer(
        staff::catalog::save_auditorium(id, theater_id, &name, &layout).await,
        &back,
    )
}

/// Schedules a showtime: `starts_at` is the theater's local time ("2026-12-24T19:30"); prices
/// per seat kind as typed ("12.50"), before the theater's matinee discount.
#[server(prefix = "/api/admin", endpoint = "catalog/showtime", input = PostUrl)]
pub async fn schedule_showtime(
    movie_id: i64,
    auditorium_id: i64,
    starts_at: String,
    price_standard: String,
    price_premium: String,
    price_wheelchair: String,
    price_companion: String,
) -> Result<Done, AppError> {
    let form = super::ShowtimeForm {
        movie_id,
        auditorium_id,
        starts_at,
        prices: [
            price_standard,
            price_premium,
            price_wheelchair,
            price_companion,
        ],
    };
    answer(staff::catalog::schedule(form).await, "/admin/schedule")
}

/// Cancels a showtime: it leaves the listings and sells nothing more.
#[server(prefix = "/api/admin", endpoint = "catalog/showtime/cancel", input = PostUrl)]
pub async fn cancel_showtime(showtime_id: i64) -> Result<Done, AppError> {
    answer(
        staff::catalog::cancel(showtime_id).await,
        &format!("/admin/showtimes/{showtime_id}"),
    )
}

/// Puts showtimes behind an on-sale's waiting room (`/on_sales/<id>`): `opens_at` in RFC
/// 3339, `showtime_ids` comma-separated.
#[server(prefix = "/api/admin", endpoint = "catalog/on_sale", input = PostUrl)]
pub async fn create_on_sale(
    name: String,
    opens_at: String,
    prequeue_minutes: i32,
    admit_per_minute: i32,
    max_active: i32,
    showtime_ids: String,
) -> Result<Done, AppError> {
    let form = staff::catalog::on_sales::OnSaleForm {
        name,
        opens_at,
        prequeue_minutes,
        admit_per_minute,
        max_active,
        showtime_ids,
    };
    answer(
        staff::catalog::on_sales::create(form).await,
        "/admin/schedule",
    )
}

/// Makes a staff account.
#[server(prefix = "/api/admin", endpoint = "staff", input = PostUrl)]
pub async fn create_staff(email: String, password: String, role: String) -> Result<Done, AppError> {
    let outcome = async {
        let by = staff::require(Role::Admin)?;
        let role = Role::parse(&role)
            .ok_or_else(|| AppError::bad_input("role must be admin or box_office"))?;
        let state = crate::server::AppState::current()?;
        let id =
            staff::accounts::create_user(&state.db, &email, &password, role, Some(&by)).await?;
        Ok(Done {
            message: format!("Staff account for {} made.", email.trim().to_lowercase()),
            location: "/admin/staff".into(),
            id: Some(id),
        })
    }
    .await;
    answer(outcome, "/admin/staff")
}

/// Every staff account.
#[server(prefix = "/api/admin", endpoint = "staff/list")]
pub async fn staff_accounts() -> Result<Vec<super::StaffAccount>, AppError> {
    staff::require(Role::Admin)?;
    staff::team::list(&crate::server::AppState::current()?.db).await
}

/// Disables an account (`disabled` = `true`: it cannot sign in, its sessions end) or enables
/// it again.
#[server(prefix = "/api/admin", endpoint = "staff/disabled", input = PostUrl)]
pub async fn set_staff_disabled(id: i64, disabled: bool) -> Result<Done, AppError> {
    let outcome = async {
        let by = staff::require(Role::Admin)?;
        let db = &crate::server::AppState::current()?.db;
        let email = staff::team::set_disabled(db, id, disabled, Some(&by)).await?;
        Ok(Done {
            message: format!(
                "{email} {}.",
                if disabled {
                    "can no longer sign in"
                } else {
                    "can sign in again"
                }
            ),
            location: "/admin/staff".into(),
            id: Some(id),
        })
    }
    .await;
    answer(outcome, "/admin/staff")
}

/// Sets an account's password (its sessions end).
#[server(prefix = "/api/admin", endpoint = "staff/password", input = PostUrl)]
pub async fn set_staff_password(id: i64, password: String) -> Result<Done, AppError> {
    let outcome = async {
        let by = staff::require(Role::Admin)?;
        let db = &crate::server::AppState::current()?.db;
        let email = staff::team::set_password(db, id, &password, Some(&by)).await?;
        Ok(Done {
            message: format!("New password set for {email}."),
            location: "/admin/staff".into(),
            id: Some(id),
        })
    }
    .await;
    answer(outcome, "/admin/staff")
}

// --- Box office ------------------------------------------------------------------------------

/// Refunds a paid order: the charge is refunded, the seats go to the waiting line first.
#[server(prefix = "/api/admin", endpoint = "box/refund", input = PostUrl)]
pub async fn refund(code: String, #[server(default)] back: String) -> Result<Done, AppError> {
    answer(staff::box_office::refund(&code).await, &back_or(&back))
}

/// Blocks seats ("C7 C8", or seat ids) of a showtime so nobody can hold them.
#[server(prefix = "/api/admin", endpoint = "box/block", input = PostUrl)]
pub async fn block_seats(
    showtime_id: i64,
    seats: String,
    reason: String,
) -> Result<Done, AppError> {
    answer(
        staff::box_office::block(showtime_id, &seats, &reason).await,
        &format!("/admin/showtimes/{showtime_id}"),
    )
}

/// Frees blocked seats (to the waiting line first).
#[server(prefix = "/api/admin", endpoint = "box/unblock", input = PostUrl)]
pub async fn unblock_seats(showtime_id: i64, seats: String) -> Result<Done, AppError> {
    answer(
        staff::box_office::unblock(showtime_id, &seats).await,
        &format!("/admin/showtimes/{showtime_id}"),
    )
}

/// Sells seats at the counter, paid in cash.
#[server(prefix = "/api/admin", endpoint = "box/sell", input = PostUrl)]
pub async fn sell_at_counter(
    showtime_id: i64,
    seats: String,
    #[server(default)] name: String,
    #[server(default)] email: String,
) -> Result<Done, AppError> {
    answer(
        staff::box_office::sell(showtime_id, &seats, &name, &email).await,
        &format!("/admin/showtimes/{showtime_id}"),
    )
}

/// Checks a ticket in by its token (what its QR code holds).
#[server(prefix = "/api/admin", endpoint = "box/check-in", input = PostUrl)]
pub async fn check_in(ticket: String) -> Result<Done, AppError> {
    answer(staff::box_office::check_in(&ticket).await, "/admin/box")
}

#[cfg(feature = "ssr")]
fn back_or(back: &str) -> String {
    if back.starts_with("/admin") {
        back.to_string()
    } else {
        "/admin/box".to_string()
    }
}
