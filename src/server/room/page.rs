//! `/on_sales/{id}`: the waiting room as a page that needs no JavaScript. It refreshes itself
//! (`<meta http-equiv="refresh">`) while there is something to wait for; joining and leaving
//! are plain form posts answered with `303` back to it. Once admitted, it sets the admission
//! cookie and links the on-sale's showtimes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use chrono::{DateTime, Utc};

use super::OnSale;
use super::http::{admission_cookie, on_sale, take_place, with_admission};
use crate::app::error::AppError;
use crate::app::room::{EtaBasis, Phase, QueueState, QueueStatus};
use crate::server::AppState;
use crate::server::client::ClientIp;
use crate::server::session::SessionId;

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(session): Extension<SessionId>,
) -> Response {
    match on_sale(&state, &id).await {
        Ok(on_sale) => render(&state, &on_sale, &session, None).await,
        Err(error) => error_page(&state, error),
    }
}

pub async fn join(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(session): Extension<SessionId>,
    Extension(client): Extension<ClientIp>,
    Form(_): Form<Vec<(String, String)>>,
) -> Response {
    let on_sale = match on_sale(&state, &id).await {
        Ok(on_sale) => on_sale,
        Err(error) => return error_page(&state, error),
    };
    match take_place(&state, &on_sale, &session, client).await {
        Ok(_) => back(on_sale.id),
        Err(error) => render(&state, &on_sale, &session, Some(error)).await,
    }
}

pub async fn leave(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(session): Extension<SessionId>,
    Form(_): Form<Vec<(String, String)>>,
) -> Response {
    let on_sale = match on_sale(&state, &id).await {
        Ok(on_sale) => on_sale,
        Err(error) => return error_page(&state, error),
    };
    match state.room.leave(&on_sale, session.as_str()).await {
        Ok(_) => back(on_sale.id),
        Err(error) => render(&state, &on_sale, &session, Some(error)).await,
    }
}

fn back(id: i64) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("/on_sales/{id}"))],
    )
        .into_response()
}

fn error_page(state: &AppState, error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = document(
        &state.assets.url("marquee.css"),
        "Queue",
        None,
        &format!(
            "<h1>Queue</h1><p role=\"alert\">{}</p>",
            escape(&error.to_string())
        ),
        "",
    );
    (status, Html(body)).into_response()
}

async fn render(
    state: &AppState,
    on_sale: &OnSale,
    session: &SessionId,
    error: Option<AppError>,
) -> Response {
    let status = match state.room.status(on_sale, session.as_str()).await {
        Ok(status) => status,
        Err(error) => return error_page(state, error),
    };
    let cookie = match admission_cookie(state, session, &status).await {
        Ok(cookie) => cookie,
        Err(error) => return error_page(state, error),
    };
    let commitment = state
        .room
        .info(on_sale)
        .await
        .map(|info| info.commitment)
        .unwrap_or_default();
    let mut body = format!(
        "<h1>{}</h1><p>Sale opens {}.</p>",
        escape(&on_sale.name),
        when(on_sale.opens_at)
    );
    if let Some(error) = &error {
        body += &format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(&error.to_string())
        );
    }
    body += &state_html(state, on_sale, &status, &commitment).await;
    let refresh = refresh_secs(&status);
    let head = refresh.map(|secs| format!("<meta http-equiv=\"refresh\" content=\"{secs}\">"));
    let attributes = format!(
        " data-queue-state=\"{}\" data-phase=\"{}\"",
        state_name(status.state),
        phase_name(status.phase)
    );
    let html = document(
        &state.assets.url("marquee.css"),
        &on_sale.name,
        head.as_deref(),
        &body,
        &attributes,
    );
    let code = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST)
    });
    let mut response = (code, Html(html)).into_response();
    with_admission(&mut response, cookie);
    response
}

async fn state_html(
    state: &AppState,
    on_sale: &OnSale,
    status: &QueueStatus,
    commitment: &str,
) -> String {
    let join_form = format!(
        "<form method=\"post\" action=\"/on_sales/{}/join\"><button type=\"submit\">Join the queue</button></form>",
        on_sale.id
    );
    let leave_form = |label: &str| {
        format!(
            "<form method=\"post\" action=\"/on_sales/{}/leave\"><button type=\"submit\">{label}</button></form>",
            on_sale.id
        )
    };
    let draw_note = format!(
        "<p class=\"draw\">Everyone who joins before the opening gets a place drawn at random. \
         The draw's commitment (SHA-256 of its seed) is <code>{commitment}</code>; the seed \
         is published at the opening (<a href=\"/api/on_sales/{}/draw\">the draw</a>).</p>",
        on_sale.id
    );
    match (status.phase, status.state) {
        (Phase::Upcoming, _) => format!(
            "<p role=\"status\">The queue opens {}, {} before the sale. Arriving earlier \
             gives no better place.</p>{draw_note}",
            in_time(status.opens_in_ms),
            minutes(on_sale.opens_at - on_sale.queue_opens_at)
        ),
        (_, QueueState::Out) => format!(
            "<p role=\"status\">{}</p>{join_form}{draw_note}",
            if status.phase == Phase::Drawing {
                format!(
                    "The sale opens {}. Join now: places are drawn at the opening.",
                    in_time(status.opens_in_ms)
                )
            } else {
                format!(
                    "The sale is open; {} waiting. Join to get a place at the back.",
                    status.waiting
                )
            }
        ),
        (Phase::Drawing, QueueState::Waiting) => format!(
            "<p role=\"status\">You are in the queue. Places are drawn when the sale opens {}.</p>{draw_note}{}",
            in_time(status.opens_in_ms),
            leave_form("Leave the queue")
        ),
        (_, QueueState::Waiting) => {
            let position = status.position.unwrap_or(0);
            let eta = match (status.eta_secs, status.eta_basis) {
                (Some(secs), Some(EtaBasis::Measured)) => format!(
                    "About {} to go, from how fast people were let in over the last minute.",
                    duration(secs)
                ),
                (Some(secs), _) => format!(
                    "About {} to go: a guess from the planned pace, until enough people have been let in to measure it.",
                    duration(secs)
                ),
                _ => String::new(),
            };
            format!(
                "<p role=\"status\" data-position=\"{position}\">You are number {position} in the queue \
                 ({} waiting). {eta}</p><p>Keep this page open; it updates by itself.</p>{}",
                status.waiting,
                leave_form("Leave the queue")
            )
        }
        (_, QueueState::Admitted) => {
            let mut links = String::new();
            for id in &status.showtime_ids {
                let label = match state.showtimes.get(&state.db, *id).await {
                    Ok(info) => format!("{} · {}", info.movie_title, info.starts_label),
                    Err(_) => format!("Showtime {id}"),
                };
                links += &format!(
                    "<li><a href=\"/showtimes/{id}\">{}</a></li>",
                    escape(&label)
                );
            }
            format!(
                "<p role=\"status\">It is your turn. Pick your seats within {}.</p><ul class=\"queue-showtimes\">{links}</ul>{}",
                duration(status.admission_ends_in_ms.unwrap_or(0) / 1000),
                leave_form("I am done: give my turn to the next person")
            )
        }
        (_, QueueState::Left) => {
            "<p role=\"status\">You left this queue. A place cannot be taken again.</p>".into()
        }
        (_, QueueState::Expired) => {
            "<p role=\"status\">Your turn has ended. A place cannot be taken again.</p>".into()
        }
    }
}

/// How soon the page reloads itself, if there is anything to wait for.
fn refresh_secs(status: &QueueStatus) -> Option<u64> {
    match (status.phase, status.state) {
        (Phase::Upcoming | Phase::Drawing, _) => {
            Some((status.opens_in_ms.unwrap_or(0) / 1000).clamp(1, 10))
        }
        (Phase::Open, QueueState::Waiting | QueueState::Out) => Some(3),
        _ => None,
    }
}

fn document(css: &str, title: &str, head: Option<&str>, body: &str, attributes: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Queue · Marquee</title><link rel=\"stylesheet\" href=\"{css}\">{}</head>\
         <body><header class=\"site-header\"><a href=\"/\">Marquee</a></header>\
         <main class=\"queue-page\"{attributes}>{body}</main></body></html>",
        escape(title),
        head.unwrap_or("")
    )
}

fn state_name(state: QueueState) -> &'static str {
    match state {
        QueueState::Out => "out",
        QueueState::Waiting => "waiting",
        QueueState::Admitted => "admitted",
        QueueState::Left => "left",
        QueueState::Expired => "expired",
    }
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Upcoming => "upcoming",
        Phase::Drawing => "drawing",
        Phase::Open => "open",
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%a %-d %b %Y, %H:%M UTC").to_string()
}

fn in_time(ms: Option<u64>) -> String {
    format!("in {}", duration(ms.unwrap_or(0).div_ceil(1000)))
}

fn minutes(span: chrono::Duration) -> String {
    duration(span.num_seconds().max(0) as u64)
}

fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
