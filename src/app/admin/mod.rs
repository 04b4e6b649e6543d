//! The staff side of the app (`/admin`): signing in, the catalog (movies, theaters, rooms
//! and their layouts, the schedule), each showtime's live dashboard and box office, check-in,
//! reports and the audit log.
//!
//! Pages are server-rendered forms that post to the staff server functions (`api`), which
//! answer a browser with `303 See Other` to the next page and a one-time message, so every
//! page works without JavaScript; the layout editor's live preview and the dashboard's live
//! counts need it. Who may open what is decided on the server (`server::staff::access`).

pub mod api;
pub mod layout;
mod pages;

pub use pages::{
    AdminAudit, AdminAuditorium, AdminBox, AdminHome, AdminLogin, AdminMovie, AdminSchedule,
    AdminShowtime, AdminStaff, AdminTheater,
};

use serde::{Deserialize, Serialize};

use crate::app::catalog::SeatKind;

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: the catalog, staff accounts, reports, the audit log, and box office.
    Admin,
    /// The counter: dashboards, refunds, blocked seats, cash sales, check-in.
    BoxOffice,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::BoxOffice => "box_office",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "admin" => Some(Role::Admin),
            "box_office" => Some(Role::BoxOffice),
            _ => None,
        }
    }
}

/// What a staff form did: a message, where a browser goes next, and the id of what it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub message: String,
    pub location: String,
    pub id: Option<i64>,
}

/// The one-time message a page shows after a staff form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub ok: bool,
    pub message: String,
}

/// The signed-in staff member, as pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminMovieRow {
    pub id: i64,
    pub title: String,
    pub runtime_minutes: i32,
    pub rating: String,
    pub synopsis: String,
    pub poster_hue: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminTheaterRow {
    pub id: i64,
    pub name: String,
    pub city: String,
    pub timezone: String,
    pub companion_needs_wheelchair: bool,
    /// "17:00": showtimes starting earlier are matinees.
    pub matinee_before: String,
    pub matinee_discount_percent: i32,
    pub auditoriums: Vec<AdminAuditoriumRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminAuditoriumRow {
    pub id: i64,
    pub theater_id: i64,
    pub name: String,
    pub seats: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminShowtimeRow {
    pub id: i64,
    pub movie: String,
    pub theater: String,
    pub auditorium: String,
    /// In the theater's zone: "Sat 28 Nov, 19:30".
    pub starts_at: String,
    pub cancelled: bool,
    pub sold: i64,
    pub seats: i64,
}

/// The staff home page: the catalog and the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub me: Me,
    pub movies: Vec<AdminMovieRow>,
    pub theaters: Vec<AdminTheaterRow>,
    pub showtimes: Vec<AdminShowtimeRow>,
}

/// An auditorium in the layout editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditoriumEdit {
    /// 0 for a new room.
    pub id: i64,
    pub theater_id: i64,
    pub theater: String,
    pub name: String,
    /// The layout as text (`layout` module).
    pub layout: String,
    /// Seats with tickets ("C7"): a new layout must keep them.
    pub locked_seats: Vec<String>,
}

/// Sales of one showtime, for its dashboard. Counts, money and times only: never who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub showtime: AdminShowtimeRow,
    pub sold: u32,
    pub held: u32,
    pub blocked: u32,
    pub free: u32,
    pub line_length: u32,
    pub revenue_cents: i64,
    /// Tickets sold per hour, oldest first: ("28 Nov 14:00", count).
    pub sales: Vec<(String, u32)>,
    /// The showtime's orders, newest first (code, seats, total, status, how paid).
    pub orders: Vec<OrderLine>,
    /// Blocked seats ("C7") with the reason.
    pub blocks: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub code: String,
    pub seats: String,
    pub total_cents: i64,
    pub status: String,
    pub payment: String,
    pub created_at: String,
}

/// A staff account, as the staff page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccount {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// Cannot sign in (someone who left).
    pub disabled: bool,
    /// Locked for now after wrong passwords.
    pub locked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// The staff member's email (empty for a failed sign-in with an unknown email).
    pub who: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub at: String,
}

/// A movie as its form posts it (numbers as typed, checked on the server).
#[derive(Debug, Clone)]
pub struct MovieForm {
    pub id: i64,
    pub title: String,
    pub runtime_minutes: String,
    pub rating: String,
    pub synopsis: String,
    pub poster_hue: String,
}

/// A theater as its form posts it.
#[derive(Debug, Clone)]
pub struct TheaterForm {
    pub id: i64,
    pub name: String,
    pub city: String,
    pub timezone: String,
    pub companion_needs_wheelchair: bool,
    pub matinee_before: String,
    pub matinee_discount_percent: String,
}

/// A showtime to schedule: local start time, prices per kind (`SeatKind::ALL` order).
#[derive(Debug, Clone)]
pub struct ShowtimeForm {
    pub movie_id: i64,
    pub auditorium_id: i64,
    pub starts_at: String,
    pub prices: [String; 4],
}

/// A price as typed ("12.50", "12", "$9.5") in cents.
pub fn parse_price(kind: SeatKind, text: &str) -> Result<i64, String> {
    let wrong = || format!("{} price: write it like 12.50", kind.label());
    let text = text.trim().trim_start_matches('$');
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    let whole: i64 = whole.parse().map_err(|_| wrong())?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| wrong())?;
    if !(0..=10_000).contains(&whole) {
        return Err(format!(
            "{} price must be between 0 and 10000",
            kind.label()
        ));
    }
    Ok(whole * 100 + cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_as_cents() {
        let p = |t: &str| parse_price(SeatKind::Standard, t);
        assert_eq!(p("12.50"), Ok(1250));
        assert_eq!(p("$9.5"), Ok(950));
        assert_eq!(p("7"), Ok(700));
        assert!(p("7.555").is_err());
        assert!(p("-1").is_err());
        assert!(p("abc").is_err());
        assert!(p("").is_err());
    }
}
