//! What a request got: a status and its JSON body, or nothing (shared by the fault suite
//! and the cluster suite, whose buyers judge answers alike).

use serde_json::Value;

/// The reply to one request, or why there was none.
pub enum Reply {
    Status(u16, Value),
    Transport,
}

impl Reply {
    pub fn error(&self) -> &str {
        match self {
            Self::Status(_, body) => body["error"].as_str().unwrap_or(""),
            Self::Transport => "transport",
        }
    }

    /// Worth retrying unchanged: the request did not complete, or the server said so.
    pub fn retry(&self) -> bool {
        match self {
            Self::Transport => true,
            Self::Status(status, _) => {
                *status >= 500 || matches!(self.error(), "purchase_in_progress")
            }
        }
    }

    /// Status and error name only, e.g. `409 purchase_in_progress`.
    pub fn short(&self) -> String {
        match self {
            Self::Status(status, _) => format!("{status} {}", self.error()).trim().to_string(),
            Self::Transport => "transport error".into(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Status(status, body) => {
                let mut text = format!("{status} {body}");
                text.truncate(200);
                text
            }
            Self::Transport => "transport error".into(),
        }
    }
}

/// Reads a response (a body that is not JSON reads as `null`).
pub async fn read(result: reqwest::Result<reqwest::Response>) -> Reply {
    match result {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(bytes) => Reply::Status(
                    status,
                    serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                ),
                Err(_) => Reply::Transport,
            }
        }
        Err(_) => Reply::Transport,
    }
}
