//! Tickets people can use: every ticket of an order carries a signed token, shown as a QR
//! code on the order page, that anyone holding it can have verified and nobody can forge or
//! alter (an HMAC-SHA256 over the ticket's facts with a server key); a calendar file per
//! order.
//!
//! A token is `t1.<ticket id>.<32 hex digits>`: the id finds the ticket, the digits are the
//! first 128 bits of `HMAC(key, "t1|<ticket id>|<order code>|<showtime id>|<seat id>")`. The
//! key is `TICKET_SECRET`, or one made on first use and kept in Postgres (`secrets`), so
//! every instance signs and verifies alike.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;
use tokio::sync::OnceCell;

use crate::app::booking::TicketCheck;
use crate::app::error::AppError;
use crate::server::AppState;

type HmacSha256 = Hmac<Sha256>;

const VERSION: &str = "t1";
/// Signature bytes kept in a token (128 bits).
const SIGNATURE_BYTES: usize = 16;
/// The name of the generated key in `secrets`.
const KEY_NAME: &str = "ticket_signing";

/// Signs and verifies ticket tokens.
#[derive(Clone)]
pub struct TicketSigner {
    configured: Option<Arc<[u8]>>,
    stored: Arc<OnceCell<Arc<[u8]>>>,
}

/// What a token vouches for.
pub struct TicketFacts<'a> {
    pub ticket_id: i64,
    pub order_code: &'a str,
    pub showtime_id: i64,
    pub seat_id: i64,
}

impl TicketFacts<'_> {
    fn message(&self) -> String {
        format!(
            "{VERSION}|{}|{}|{}|{}",
            self.ticket_id, self.order_code, self.showtime_id, self.seat_id
        )
    }
}

impl TicketSigner {
    pub fn new(secret: Option<&str>) -> Self {
        Self {
            configured: secret.map(|s| Arc::from(s.as_bytes())),
            stored: Arc::new(OnceCell::new()),
        }
    }

    pub(crate) async fn key(&self, db: &PgPool) -> Result<Arc<[u8]>, AppError> {
        if let Some(key) = &self.configured {
            return Ok(key.clone());
        }
        let key = self
            .stored
            .get_or_try_init(|| async {
                // The first instance to ask makes it; everyone reads the one that won.
                let candidate = format!(
                    "{}{}",
                    crate::server::session::random_token(),
                    crate::server::session::random_token()
                );
                sqlx::query(
                    "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(KEY_NAME)
                .bind(&candidate)
                .execute(db)
                .await?;
                let value: String = sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
                    .bind(KEY_NAME)
                    .fetch_one(db)
                    .await?;
                Ok::<_, sqlx::Error>(Arc::from(value.into_bytes()))
            })
            .await?;
        Ok(key.clone())
    }

    fn mac(key: &[u8], facts: &TicketFacts<'_>) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(facts.message().as_bytes());
        mac
    }

    /// The token of one ticket.
    pub async fn token(&self, db: &PgPool, facts: &TicketFacts<'_>) -> Result<String, AppError> {
        let key = self.key(db).await?;
        let signature = Self::mac(&key, facts).finalize().into_bytes();
        let hex: String = signature[..SIGNATURE_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(format!("{VERSION}.{}.{hex}", facts.ticket_id))
    }

    /// The ticket a token stands for, if it is genuine (in constant time).
    pub async fn verify(&self, state: &AppState, token: &str) -> Result<TicketCheck, AppError> {
        let malformed = || AppError::bad_input("not a ticket token");
        let mut parts = token.trim().split('.');
        let (Some(VERSION), Some(id), Some(hex), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        let ticket_id: i64 = id.parse().map_err(|_| malformed())?;
        if hex.len() != SIGNATURE_BYTES * 2 {
            return Err(malformed());
        }
        let signature: Vec<u8> = (0..SIGNATURE_BYTES)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
            .collect::<Result<_, _>>()
            .map_err(|_| malformed())?;
        let not_genuine = || AppError::not_found("ticket");
        let row: Option<(String, i64, i64, String, bool)> = sqlx::query_as(
            "SELECT o.code, t.showtime_id, t.seat_id, o.status, t.active
               FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.id = $1",
        )
        .bind(ticket_id)
        .fetch_optional(&state.db)
        .await?;
        let Some((code, showtime_id, seat_id, status, active)) = row else {
            return Err(not_genuine());
        };
        let facts = TicketFacts {
            ticket_id,
            order_code: &code,
            showtime_id,
            seat_id,
        };
        let key = self.key(&state.db).await?;
        Self::mac(&key, &facts)
            .verify_truncated_left(&signature)
            .map_err(|_| not_genuine())?;
        let showtime = state.showtimes.get(&state.db, showtime_id).await?;
        let valid = active && matches!(status.as_str(), "paid" | "fulfilled");
        Ok(TicketCheck {
            valid,
            status: if valid { "valid".into() } else { status },
            order_code: code,
            showtime_id,
            movie_title: showtime.movie_title.clone(),
            starts_at: showtime.starts_label.clone(),
            auditorium: showtime.auditorium.clone(),
            seat: showtime.names(&[seat_id]).remove(0),
        })
    }
}

/// `GET /tickets/{token}/qr.svg`: the QR code of a genuine ticket's token.
pub async fn qr_svg(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if let Err(error) = state.tickets.verify(&state, &token).await {
        return error.into_response();
    }
    let Ok(code) = qrcode::QrCode::new(token.as_bytes()) else {
        return AppError::Internal.into_response();
    };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        svg,
    )
        .into_response()
}

/// `GET /orders/{code}/calendar.ics`: the showing as a calendar event (RFC 5545).
pub async fn calendar(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let row: Result<Option<(i64, chrono::DateTime<chrono::Utc>, i32)>, _> = sqlx::query_as(
        "SELECT s.id, s.starts_at, m.runtime_minutes FROM orders o
           JOIN showtimes s ON s.id = o.showtime_id JOIN movies m ON m.id = s.movie_id
          WHERE o.code = $1 AND o.status IN ('paid', 'fulfilled')",
    )
    .bind(&code)
    .fetch_optional(&state.db)
    .await;
    let (showtime_id, starts_at, minutes) = match row {
        Ok(Some(row)) => row,
        Ok(None) => return AppError::not_found(format!("order {code}")).into_response(),
        Err(error) => return AppError::from(error).into_response(),
    };
    let showtime = match state.showtimes.get(&state.db, showtime_id).await {
        Ok(showtime) => showtime,
        Err(error) => return error.into_response(),
    };
    let seats: Vec<i64> = match sqlx::query_scalar(
        "SELECT t.seat_id FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.code = $1",
    )
    .bind(&code)
    .fetch_all(&state.db)
    .await
    {
        Ok(seats) => seats,
        Err(error) => return AppError::from(error).into_response(),
    };
    let ends_at = starts_at + chrono::Duration::minutes(i64::from(minutes));
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let body = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Marquee//Tickets//EN".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:order-{code}@marquee"),
        format!("DTSTAMP:{}", stamp(chrono::Utc::now())),
        format!("DTSTART:{}", stamp(starts_at)),
        format!("DTEND:{}", stamp(ends_at)),
        ics_text("SUMMARY", &showtime.movie_title),
        ics_text(
            "LOCATION",
            &format!("{}, {}", showtime.auditorium, showtime.theater),
        ),
        ics_text(
            "DESCRIPTION",
            &format!(
                "Seats {}. Confirmation code {code}.",
                showtime.names(&seats).join(", ")
            ),
        ),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ]
    .join("\r\n")
        + "\r\n";
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"marquee-tickets.ics\"",
            ),
        ],
        body,
    )
        .into_response()
}

/// One content line, its text escaped (RFC 5545 §3.3.11) and folded at 75 octets (§3.1).
fn ics_text(name: &str, value: &str) -> String {
    let escaped = value
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n");
    let line = format!("{name}:{escaped}");
    let mut folded = String::new();
    let mut width = 0;
    for ch in line.chars() {
        if width + ch.len_utf8() > 75 {
            folded.push_str("\r\n ");
            width = 1;
        }
        folded.push(ch);
        width += ch.len_utf8();
    }
    folded
}
