//! The one error type that crosses the wire.
//!
//! Server functions return `Result<T, AppError>`; the same enum is decoded in the browser, so a
//! page can match on `AppError::NotFound` instead of parsing text. Server-side conversions
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
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not decode are the caller's mistake, and say which field.
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                Self::BadInput { message }
            }
            other => Self::Transport {
                message: other.to_string(),
            },
        }
    }
}
