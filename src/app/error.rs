//! The one error type that crosses the wire.
//!
//! Server functions return `Result<T, AppError>`; the same enum is decoded in the browser, so a
//! page can match on `AppError::SeatTaken` instead of parsing text. Server-side conversions
//! (`crate::server::error`) log the real cause and keep it out of the message: the browser
//! never sees SQL or Redis text.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    /// The thing asked for does not exist (`what` is e.g. "showtime 42").
    #[error("{what} not found")]
    NotFound { what: String },
    /// The request itself is malformed; `message` says what to fix.
    #[error("{message}")]
    BadInput { message: String },
    /// Some of the seats are sold or held by someone else. `seats` names them ("C7").
    #[error(
        "{} {} no longer available",
        if seats.len() == 1 { "seat" } else { "seats" },
        seats.join(", ") + if seats.len() == 1 { " is" } else { " are" }
    )]
    SeatTaken { seats: Vec<String> },
    /// The hold on these seats has run out (or was never made).
    #[error("your hold has expired; please pick your seats again")]
    HoldExpired { seats: Vec<String> },
    /// These seats are held by someone else, so this session may not release or buy them.
    #[error("not your hold: {}", seats.join(", "))]
    NotYourHold { seats: Vec<String> },
    /// One person may hold at most `max` seats of a showtime.
    #[error("you can hold at most {max} seats for one showtime")]
    TooManySeats { max: u32 },
    /// So many seats of this showtime are held or awaited from the caller's address (shared by
    /// everyone behind one router) that no more may be held from it.
    #[error("at most {max} seats of one showtime may be held or awaited from one connection")]
    ClientLimit { max: u32 },
    /// The hold has been extended as often as allowed.
    #[error("your hold cannot be extended again (limit {max})")]
    ExtendLimit { max: u32 },
    /// This session waits in the showtime's line, so seats come to it by offer only.
    #[error("you are in the waiting line for this showtime; leave it to pick seats yourself")]
    InLine,
    /// This session already has a place in the showtime's waiting line.
    #[error("you are already in the waiting line (number {position})")]
    AlreadyInLine { position: u32 },
    /// A session holding seats cannot also wait in line for the same showtime.
    /// (Joining the line, or asking for the best available seats.)
    #[error("you are holding seats for this showtime; buy or release them first")]
    HoldingSeats,
    /// Companion seats are sold with a wheelchair space, and the purchase has none.
    #[error(
        "{} {} a companion seat, sold together with a wheelchair space: add one, or pick another seat",
        seats.join(", "),
        if seats.len() == 1 { "is" } else { "are each" }
    )]
    CompanionNeedsWheelchair { seats: Vec<String> },
    /// Fewer seats (of the kind asked for) are free than asked for.
    #[error(
        "only {available} {} of the kind asked for {} free for this showtime",
        if *available == 1 { "seat" } else { "seats" },
        if *available == 1 { "is" } else { "are" }
    )]
    NotEnoughSeats { available: u32 },
    /// Enough seats are free for the party: pick them instead of waiting.
    #[error(
        "{available} {} free for this showtime; pick {} instead of joining the line",
        if *available == 1 { "seat is" } else { "seats are" },
        if *available == 1 { "it" } else { "them" }
    )]
    SeatsAvailable { available: u32 },
    /// The showtime's waiting line has reached its length limit.
    #[error("the waiting line is full ({max} people); please try again later")]
    LineFull { max: u32 },
    /// Seats of a showtime that has already started cannot be held or bought.
    #[error("this showtime has already started")]
    ShowtimeStarted,
    /// The cinema cancelled this showtime: it sells nothing more.
    #[error("this showtime was cancelled")]
    ShowtimeCancelled,
    /// The card was declined; the hold stays so the person can try another card.
    #[error("payment declined: {message}")]
    PaymentDeclined { message: String },
    /// The idempotency key was already used for a different purchase.
    #[error("this purchase key was already used for a different order")]
    IdempotencyMismatch,
    /// A purchase with this idempotency key is still running; retry shortly.
    #[error("this purchase is already being processed; retry in a moment")]
    PurchaseInProgress,
    /// The payment processor did not answer in time, so whether the card was charged is not
    /// known yet. The order is settled either way within `retry_after_ms` (charged: the
    /// order is made; not charged: nothing is taken); send the same request with the same
    /// idempotency key again to learn which.
    #[error(
        "your payment is being confirmed; please wait a moment (you will not be charged twice)"
    )]
    PaymentPending { retry_after_ms: u64 },
    /// The request body is larger than the API accepts.
    #[error("the request is too large (at most {max_bytes} bytes)")]
    TooLarge { max_bytes: u32 },
    /// Too many requests from this session or address; the same request will be accepted
    /// after `retry_after_ms` (also sent as `Retry-After`, in whole seconds).
    #[error(
        "too many requests just now; please wait {} s and try again",
        retry_after_ms.div_ceil(1000).max(1)
    )]
    RateLimited { retry_after_ms: u64 },
    /// The request came from another site (cross-site request forgery protection).
    #[error("cross-site requests are not allowed")]
    Forbidden,
    /// This showtime sells through an on-sale's waiting room, and this session has no valid
    /// admission from it (none yet, expired, given up, or another session's).
    #[error(
        "this showtime sells through a waiting room: join the queue at /on_sales/{on_sale} and wait to be admitted"
    )]
    NotAdmitted { on_sale: i64 },
    /// The on-sale's queue does not take places yet: come back in `opens_in_ms`.
    #[error(
        "the queue opens in {} min; arriving earlier gives no better place",
        opens_in_ms.div_ceil(60_000).max(1)
    )]
    QueueNotOpen { opens_in_ms: u64 },
    /// Someone else at the caller's address already has a place in this on-sale's queue.
    #[error("someone at your connection already has a place in this queue")]
    AddressInQueue,
    /// This session's place in the queue was used up (it left, or its admission ended); a
    /// new place would let anyone re-enter ahead of those who waited.
    #[error("your place in this queue has been used; it cannot be taken again")]
    QueuePlaceUsed,
    /// A staff page or call without a staff session: sign in first.
    #[error("please sign in as staff")]
    SignInRequired,
    /// The staff member's role may not do this (box office on an admin-only page).
    #[error("your role may not do this")]
    NotPermitted,
    /// The email and password do not match a staff account (which of the two is wrong is
    /// not said).
    #[error("wrong email or password")]
    BadCredentials,
    /// Too many wrong passwords in a row: the account is locked for `retry_after_ms`.
    #[error(
        "this account is locked after too many failed sign-ins; try again in {} min",
        retry_after_ms.div_ceil(60_000).max(1)
    )]
    AccountLocked { retry_after_ms: u64 },
    /// The change would contradict what exists (a clash in the schedule, a sold seat a new
    /// layout drops, a refund of an order that is not paid); `message` says which.
    #[error("{message}")]
    Conflict { message: String },
    /// Something failed on our side. The cause is in the server log, not here.
    #[error("something went wrong on our side; please try again")]
    Internal,
    /// The request never completed: network trouble, or a reply that could not be decoded.
    #[error("could not reach Marquee: {message}")]
    Transport { message: String },
}

impl AppError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadInput {
            message: message.into(),
        }
    }

    /// Whether this answer to a purchase is definitive, so the browser may drop the purchase's
    /// idempotency key: an order was made (that is `Ok`, not an error) or the purchase was
    /// refused in a way that proves nothing was bought under that key. On any other answer
    /// the card may have been charged, or may still be, so a retry must send the same key to
    /// learn the outcome instead of starting a second purchase.
    ///
    /// No `_` arm: a new variant must be classified here.
    pub fn settles_purchase(&self) -> bool {
        match self {
            // Refused before or without a charge that stands (a seat sold under us is
            // refunded), or the key itself was refused: nothing was bought under it.
            Self::PaymentDeclined { .. }
            | Self::SeatTaken { .. }
            | Self::HoldExpired { .. }
            | Self::NotYourHold { .. }
            | Self::IdempotencyMismatch
            | Self::ShowtimeStarted
            | Self::ShowtimeCancelled
            | Self::BadInput { .. }
            | Self::NotFound { .. }
            | Self::TooManySeats { .. }
            | Self::ClientLimit { .. }
            | Self::Forbidden
            | Self::CompanionNeedsWheelchair { .. }
            | Self::TooLarge { .. } => true,
            // Staff answers: a purchase never gives them; keeping a key costs nothing.
            Self::SignInRequired
            | Self::NotPermitted
            | Self::BadCredentials
            | Self::AccountLocked { .. }
            | Self::Conflict { .. } => false,
            // The outcome is unknown (the request may not have arrived, or failed after the
            // charge) or not reached yet: keep the key and ask again with it.
            Self::Transport { .. }
            | Self::Internal
            | Self::PurchaseInProgress
            | Self::PaymentPending { .. }
            | Self::RateLimited { .. } => false,
            // Answers of the hold and line endpoints, which a purchase never gives. Keeping
            // a key costs nothing (a key without an order buys normally), so when in doubt,
            // keep it.
            Self::ExtendLimit { .. }
            | Self::InLine
            | Self::AlreadyInLine { .. }
            | Self::HoldingSeats
            | Self::NotEnoughSeats { .. }
            | Self::SeatsAvailable { .. }
            | Self::LineFull { .. }
            | Self::QueueNotOpen { .. }
            | Self::AddressInQueue
            | Self::QueuePlaceUsed => false,
            // An admission that ended between a purchase and its retry: the first attempt may
            // have made the order, so the key is kept.
            Self::NotAdmitted { .. } => false,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::BadInput { .. } => 400,
            Self::PaymentDeclined { .. } => 402,
            Self::NotYourHold { .. }
            | Self::Forbidden
            | Self::NotPermitted
            | Self::NotAdmitted { .. } => 403,
            Self::SignInRequired | Self::BadCredentials => 401,
            Self::AccountLocked { .. } => 423,
            Self::Conflict { .. } => 409,
            Self::NotFound { .. } => 404,
            Self::SeatTaken { .. }
            | Self::HoldExpired { .. }
            | Self::ExtendLimit { .. }
            | Self::ShowtimeStarted
            | Self::ShowtimeCancelled
            | Self::PurchaseInProgress
            | Self::InLine
            | Self::AlreadyInLine { .. }
            | Self::HoldingSeats
            | Self::NotEnoughSeats { .. }
            | Self::SeatsAvailable { .. }
            | Self::LineFull { .. }
            | Self::QueueNotOpen { .. }
            | Self::AddressInQueue
            | Self::QueuePlaceUsed => 409,
            Self::TooLarge { .. } => 413,
            Self::TooManySeats { .. }
            | Self::ClientLimit { .. }
            | Self::CompanionNeedsWheelchair { .. }
            | Self::IdempotencyMismatch => 422,
            Self::RateLimited { .. } => 429,
            Self::Internal | Self::Transport { .. } => 500,
            Self::PaymentPending { .. } => 503,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not decode are the caller's mistake, and say which field.
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                Self::BadInput {
                    message: without_input(&message),
                }
            }
            // On the server this can only mean a request body that does not decode (in the
            // browser it means an undecodable reply, which is a transport problem).
            ServerFnErrorErr::Deserialization(message) if cfg!(feature = "ssr") => Self::BadInput {
                message: format!("malformed request: {}", without_input(&message)),
            },
            other => Self::Transport {
                message: other.to_string(),
            },
        }
    }
}

/// A decoder's message without the input it quotes: serde names an offending value as
/// `string "…"`, which could be anything the caller sent (megabytes, or markup). The value
/// becomes `…`; field names (in backticks) stay, and the message is capped in length.
fn without_input(message: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut out = String::new();
    let mut in_value = false;
    let mut escaped = false;
    for c in message.chars() {
        if in_value {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    out.push_str("…\"");
                    in_value = false;
                }
                _ => escaped = false,
            }
        } else {
            out.push(c);
            in_value = c == '"';
        }
    }
    if out.chars().count() > MAX_CHARS {
        out = out.chars().take(MAX_CHARS).collect::<String>() + "…";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_definitive_answers_settle_a_purchase() {
        let seats = || vec!["C7".to_string()];
        let settled = [
            AppError::PaymentDeclined {
                message: "declined".into(),
            },
            AppError::SeatTaken { seats: seats() },
            AppError::HoldExpired { seats: seats() },
            AppError::NotYourHold { seats: seats() },
            AppError::IdempotencyMismatch,
            AppError::ShowtimeStarted,
            AppError::bad_input("bad"),
            AppError::not_found("showtime 1"),
            AppError::TooManySeats { max: 10 },
            AppError::ClientLimit { max: 24 },
            AppError::Forbidden,
            AppError::TooLarge { max_bytes: 16384 },
            AppError::CompanionNeedsWheelchair { seats: seats() },
        ];
        let open = [
            AppError::Transport {
                message: "offline".into(),
            },
            AppError::Internal,
            AppError::PurchaseInProgress,
            AppError::PaymentPending {
                retry_after_ms: 1000,
            },
            AppError::RateLimited {
                retry_after_ms: 1000,
            },
            AppError::ExtendLimit { max: 2 },
            AppError::InLine,
            AppError::AlreadyInLine { position: 1 },
            AppError::HoldingSeats,
            AppError::NotEnoughSeats { available: 1 },
            AppError::SeatsAvailable { available: 2 },
            AppError::LineFull { max: 500 },
        ];
        for error in &settled {
            assert!(error.settles_purchase(), "{error:?} should settle");
        }
        for error in &open {
            assert!(!error.settles_purchase(), "{error:?} should keep the key");
        }
        // Every variant is listed above once (the match in `settles_purchase` has no `_`
        // arm; this count catches a variant added there but not here).
        assert_eq!(settled.len() + open.len(), 25);
    }

    #[test]
    fn decoder_messages_lose_the_values_they_quote() {
        let huge = "x".repeat(100_000);
        let message = format!(r#"invalid type: string "{huge}\"{huge}", expected i64 at line 1"#);
        assert_eq!(
            without_input(&message),
            r#"invalid type: string "…", expected i64 at line 1"#
        );
        assert_eq!(
            without_input("missing field `name`"),
            "missing field `name`"
        );
        assert!(
            without_input(&format!("unknown field `{huge}`"))
                .chars()
                .count()
                <= 201
        );
    }
}
