//! The server side of the booking forms (`app::booking::forms`): each runs the same booking
//! function as its JSON counterpart, then sends the browser back to the page with `303 See
//! Other`, leaving what the page should say in a short-lived cookie that its next render
//! reads and clears.

use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum_extra::extract::cookie::CookieJar;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use serde::{Deserialize, Serialize};

use crate::app::booking::forms::{CheckoutPost, PageExtras};
use crate::app::booking::{Notice, PurchaseRequest, SeatMapState, describe_best, sentence};
use crate::app::catalog::SeatKind;
use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::session::random_token;

/// The outcome of the last form, for the next render of the page.
const FLASH: &str = "marquee_flash";
/// Seconds a flash waits to be shown: a redirect is followed at once.
const FLASH_SECS: i64 = 60;
/// An unanswered purchase attempt of a showtime: `marquee_attempt_<id>` = `<seats>/<key>`.
const ATTEMPT: &str = "marquee_attempt_";
/// Hours a purchase key is kept for a retry (a payment is settled long before).
const ATTEMPT_SECS: i64 = 3600;

/// What the flash cookie carries.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Flash {
    notice: Option<Notice>,
    checkout_error: Option<String>,
    buyer: Option<(String, String)>,
}

pub async fn hold(showtime_id: i64, seat_id: i64) -> Result<(), AppError> {
    let outcome = super::hold_seats(showtime_id, vec![seat_id]).await;
    after_seat(showtime_id, seat_id, outcome.map(drop))
}

pub async fn release(showtime_id: i64, seat_id: i64) -> Result<(), AppError> {
    let outcome = super::release_seats(showtime_id, Some(vec![seat_id])).await;
    after_seat(showtime_id, seat_id, outcome.map(drop))
}

/// Back to the seat just pressed (the page scrolls to it), or to the notice saying why not.
fn after_seat(
    showtime_id: i64,
    seat_id: i64,
    outcome: Result<(), AppError>,
) -> Result<(), AppError> {
    match outcome {
        Ok(()) => back(&format!("/showtimes/{showtime_id}#seat-{seat_id}"), None),
        Err(error) => failed(showtime_id, error),
    }
}

pub async fn best(showtime_id: i64, count: u32, kind: String) -> Result<(), AppError> {
    let kind = match kind.as_str() {
        "" => None,
        name => match SeatKind::ALL.into_iter().find(|k| k.as_str() == name) {
            Some(kind) => Some(kind),
            None => return failed(showtime_id, AppError::bad_input("unknown seat kind")),
        },
    };
    match super::best::hold_best(showtime_id, count, kind).await {
        Ok(best) => said(showtime_id, Notice::Info(describe_best(&best))),
        Err(error) => failed(showtime_id, error),
    }
}

pub async fn extend(showtime_id: i64) -> Result<(), AppError> {
    match super::extend_hold(showtime_id).await {
        Ok(_) => said(showtime_id, Notice::Info("Your hold was extended.".into())),
        Err(error) => failed(showtime_id, error),
    }
}

pub async fn join_line(showtime_id: i64, party: u32) -> Result<(), AppError> {
    match super::join_line(showtime_id, party).await {
        Ok(_) => back(&format!("/showtimes/{showtime_id}#notice"), None),
        Err(error) => failed(showtime_id, error),
    }
}

pub async fn leave_line(showtime_id: i64) -> Result<(), AppError> {
    match super::leave_line(showtime_id).await {
        Ok(()) => said(
            showtime_id,
            Notice::Info("You left the waiting line.".into()),
        ),
        Err(error) => failed(showtime_id, error),
    }
}

pub async fn decline(showtime_id: i64) -> Result<(), AppError> {
    match super::decline_offer(showtime_id).await {
        Ok(_) => said(
            showtime_id,
            Notice::Info("You declined the seats; they went to the next person in line.".into()),
        ),
        Err(error) => failed(showtime_id, error),
    }
}

/// Checkout: on to the order, or back to the form with the reason (and the name and email
/// filled in again). The key is kept in a cookie until an answer settles it, so a retry after
/// an unclear answer (a lost connection, `payment_pending`) pays under the same key.
pub async fn purchase(form: CheckoutPost) -> Result<(), AppError> {
    let showtime_id = form.showtime_id;
    let seat_ids = match parse_seats(&form.seats) {
        Some(ids) => ids,
        None => return failed(showtime_id, AppError::bad_input("no seats to pay for")),
    };
    let attempt = format!("{}/{}", join_ids(&seat_ids), form.key);
    set_cookie(&format!("{ATTEMPT}{showtime_id}"), &attempt, ATTEMPT_SECS)?;
    let buyer = (form.name.trim().to_string(), form.email.trim().to_string());
    let request = PurchaseRequest {
        showtime_id,
        seat_ids,
        name: form.name,
        email: form.email,
        card_number: form.card.chars().filter(char::is_ascii_digit).collect(),
        idempotency_key: form.key,
    };
    match super::purchase(request).await {
        Ok(order) => {
            set_cookie(&format!("{ATTEMPT}{showtime_id}"), "", 0)?;
            back(&format!("/orders/{}", order.code), None)
        }
        Err(error) => {
            if error.settles_purchase() {
                set_cookie(&format!("{ATTEMPT}{showtime_id}"), "", 0)?;
            }
            let flash = Flash {
                checkout_error: Some(sentence(&error.to_string())),
                buyer: Some(buyer),
                ..Flash::default()
            };
            back(&format!("/showtimes/{showtime_id}#checkout"), Some(&flash))
        }
    }
}

/// What a server render of the showtime page adds to `state`: the flash (cleared as it is
/// read), the hold's end on the theater's clock, and the purchase key for checkout.
pub async fn page_extras(state: &SeatMapState) -> Result<PageExtras, AppError> {
    let app = AppState::current()?;
    let jar = use_context::<Parts>()
        .map(|parts| CookieJar::from_headers(&parts.headers))
        .unwrap_or_default();
    let flash = jar
        .get(FLASH)
        .and_then(|c| serde_json::from_slice::<Flash>(&from_hex(c.value())?).ok());
    if jar.get(FLASH).is_some() {
        set_cookie(FLASH, "", 0)?;
    }
    let flash = flash.unwrap_or_default();
    let hold = state.hold.as_ref().filter(|h| !h.seat_ids.is_empty());
    let hold_until = match hold {
        Some(hold) => {
            let showtime = app.showtimes.get(&app.db, state.showtime_id).await?;
            Some(showtime.clock_in(hold.expires_in_ms))
        }
        None => None,
    };
    // The unanswered attempt's key, if it was for exactly the seats held now.
    let mut held: Vec<i64> = hold.map(|h| h.seat_ids.clone()).unwrap_or_default();
    held.sort_unstable();
    let purchase_key = jar
        .get(&format!("{ATTEMPT}{}", state.showtime_id))
        .and_then(|c| {
            let (seats, key) = c.value().split_once('/')?;
            (parse_seats(seats)? == held).then(|| key.to_string())
        })
        .unwrap_or_else(random_token);
    Ok(PageExtras {
        notice: flash.notice,
        checkout_error: flash.checkout_error,
        buyer: flash.buyer,
        hold_until,
        purchase_key,
    })
}

/// Back to the page, saying `notice` beside the map.
fn said(showtime_id: i64, notice: Notice) -> Result<(), AppError> {
    let flash = Flash {
        notice: Some(notice),
        ..Flash::default()
    };
    back(&format!("/showtimes/{showtime_id}#notice"), Some(&flash))
}

/// Back to the page, saying why the action was refused.
fn failed(showtime_id: i64, error: AppError) -> Result<(), AppError> {
    said(showtime_id, Notice::Error(sentence(&error.to_string())))
}

/// `303 See Other` to `to`, with `flash` for the page there.
fn back(to: &str, flash: Option<&Flash>) -> Result<(), AppError> {
    if let Some(flash) = flash {
        let value = serde_json::to_vec(flash).map_err(|_| AppError::Internal)?;
        set_cookie(FLASH, &to_hex(&value), FLASH_SECS)?;
    }
    let response = expect_context::<ResponseOptions>();
    response.set_status(StatusCode::SEE_OTHER);
    let location = HeaderValue::from_str(to).map_err(|_| AppError::Internal)?;
    response.insert_header(LOCATION, location);
    Ok(())
}

/// Sets (or, with `max_age` 0, removes) one of the forms' cookies: `HttpOnly`, for the whole
/// site, sent with same-site requests only. Values are cookie-safe as they are (digits,
/// letters, `,`, `/`; the flash is hex).
fn set_cookie(name: &str, value: &str, max_age: i64) -> Result<(), AppError> {
    let secure = if AppState::current()?.settings.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    let value = HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?;
    expect_context::<ResponseOptions>().append_header(SET_COOKIE, value);
    Ok(())
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// "12,13" → `[12, 13]`, sorted; `None` for anything else (or nothing).
fn parse_seats(list: &str) -> Option<Vec<i64>> {
    let mut ids = list
        .split(',')
        .map(|id| id.trim().parse().ok())
        .collect::<Option<Vec<i64>>>()?;
    ids.sort_unstable();
    (!ids.is_empty()).then_some(ids)
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_lists_parse_sorted_and_refuse_anything_else() {
        assert_eq!(parse_seats("13,12"), Some(vec![12, 13]));
        assert_eq!(parse_seats(" 7 "), Some(vec![7]));
        assert_eq!(parse_seats(""), None);
        assert_eq!(parse_seats("1,x"), None);
        assert_eq!(join_ids(&[12, 13]), "12,13");
    }

    #[test]
    fn the_flash_survives_its_cookie() {
        let text = "Seat C7 is no longer available; \"quoted\", é";
        assert_eq!(
            from_hex(&to_hex(text.as_bytes())).as_deref(),
            Some(text.as_bytes())
        );
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
