//! How a staff form's outcome is answered. A browser posting a form gets `303 See Other` to
//! the page to show next, with a one-time message (a cookie that page's next render reads and
//! clears); any other client gets the outcome itself: `200` with JSON on success, the error's
//! status and JSON body otherwise (docs/api.md, "Staff").

use axum::http::header::{ACCEPT, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum_extra::extract::cookie::CookieJar;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::app::admin::{Done, Flash};
use crate::app::error::AppError;
use crate::server::AppState;

const FLASH: &str = "marquee_staff_flash";

/// Answers `outcome`: on success `to` is where the browser goes; on a refusal it goes
/// `back` with the reason.
pub fn answer(outcome: Result<Done, AppError>, back: &str) -> Result<Done, AppError> {
    if !wants_html() {
        return outcome;
    }
    let (to, flash) = match &outcome {
        Ok(done) => (
            done.location.clone(),
            Flash {
                ok: true,
                message: done.message.clone(),
            },
        ),
        Err(error) => (
            back.to_string(),
            Flash {
                ok: false,
                message: crate::app::booking::sentence(&error.to_string()),
            },
        ),
    };
    let value = serde_json::to_vec(&flash).map_err(|_| AppError::Internal)?;
    set_cookie(&hex(&value), 60)?;
    let response = expect_context::<ResponseOptions>();
    response.set_status(StatusCode::SEE_OTHER);
    response.insert_header(
        LOCATION,
        HeaderValue::from_str(&to).map_err(|_| AppError::Internal)?,
    );
    Ok(outcome.unwrap_or_else(|_| Done {
        message: flash.message.clone(),
        location: to,
        id: None,
    }))
}

/// The flash cookie carrying `message` as a refusal (for a response built outside Leptos).
pub fn flash_cookie(ok: bool, message: &str) -> Option<HeaderValue> {
    let flash = Flash {
        ok,
        message: message.to_string(),
    };
    let value = hex(&serde_json::to_vec(&flash).ok()?);
    HeaderValue::from_str(&format!(
        "{FLASH}={value}; Path=/; Max-Age=60; HttpOnly; SameSite=Strict"
    ))
    .ok()
}

/// The message left by the last staff form, cleared as it is read.
pub fn take_flash() -> Option<Flash> {
    let jar = use_context::<Parts>().map(|parts| CookieJar::from_headers(&parts.headers))?;
    let raw = jar.get(FLASH)?.value().to_string();
    let _ = set_cookie("", 0);
    let bytes: Option<Vec<u8>> = (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(raw.get(i..i + 2)?, 16).ok())
        .collect();
    serde_json::from_slice(&bytes?).ok()
}

fn wants_html() -> bool {
    use_context::<Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

fn set_cookie(value: &str, max_age: i64) -> Result<(), AppError> {
    let secure = if AppState::current()?.settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{FLASH}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}");
    let value = HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?;
    expect_context::<ResponseOptions>().append_header(SET_COOKIE, value);
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
