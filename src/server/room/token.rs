//! Admission tokens: what an on-sale's waiting room gives the people it admits.
//!
//! `a1.<entry>.<until ms>.<32 hex digits>`: the digits are the first 128 bits of
//! `HMAC-SHA256(key, "a1|<on-sale>|<entry>|<session>|<until ms>")`, with the server key the
//! ticket tokens use (`tickets.rs`; the `a1` prefix keeps the two kinds apart). The session
//! is signed in but not written out, so a token copied into another session does not verify;
//! it expires at `until`; and the room must still count the entry as admitted (`admitted.lua`),
//! so leaving ends it at once. It travels in a cookie per on-sale, `HttpOnly` and
//! `SameSite=Lax` like the session's.

use axum_extra::extract::cookie::CookieJar;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const VERSION: &str = "a1";
const SIGNATURE_BYTES: usize = 16;

/// The cookie that carries the admission to on-sale `on_sale`.
pub fn cookie_name(on_sale: i64) -> String {
    format!("marquee_admission_{on_sale}")
}

/// What a genuine token vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub entry: String,
    pub until_ms: i64,
}

fn mac(key: &[u8], on_sale: i64, session: &str, entry: &str, until_ms: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(format!("{VERSION}|{on_sale}|{entry}|{session}|{until_ms}").as_bytes());
    mac
}

pub fn sign(key: &[u8], on_sale: i64, session: &str, entry: &str, until_ms: i64) -> String {
    let signature = mac(key, on_sale, session, entry, until_ms)
        .finalize()
        .into_bytes();
    let hex: String = signature[..SIGNATURE_BYTES]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{VERSION}.{entry}.{until_ms}.{hex}")
}

/// The admission `token` stands for, if it is genuine for this on-sale and session and has
/// not expired (compared in constant time).
pub fn verify(key: &[u8], on_sale: i64, session: &str, token: &str) -> Option<Admission> {
    let mut parts = token.split('.');
    let (Some(VERSION), Some(entry), Some(until), Some(hex), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let until_ms: i64 = until.parse().ok()?;
    if hex.len() != SIGNATURE_BYTES * 2 || entry.is_empty() || entry.len() > 64 {
        return None;
    }
    let signature: Vec<u8> = (0..SIGNATURE_BYTES)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    mac(key, on_sale, session, entry, until_ms)
        .verify_truncated_left(&signature)
        .ok()?;
    (until_ms > chrono::Utc::now().timestamp_millis()).then(|| Admission {
        entry: entry.to_owned(),
        until_ms,
    })
}

/// The `Set-Cookie` value carrying `token` until `max_age_secs`.
pub fn set_cookie(on_sale: i64, token: String, max_age_secs: i64, secure: bool) -> String {
    // The token is `[a-z0-9.]` only: nothing to quote.
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        cookie_name(on_sale),
        max_age_secs.max(0)
    )
}

/// The admission cookie of `on_sale` on the request being handled (inside a server function).
pub fn from_request(on_sale: i64) -> Option<String> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    from_headers(&parts.headers, on_sale)
}

pub fn from_headers(headers: &axum::http::HeaderMap, on_sale: i64) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(&cookie_name(on_sale))
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_on_sale_and_session_until_it_expires() {
        let until = chrono::Utc::now().timestamp_millis() + 60_000;
        let token = sign(b"key", 7, "session-a", "entry1", until);
        let admission = verify(b"key", 7, "session-a", &token).unwrap();
        assert_eq!(admission.entry, "entry1");
        assert_eq!(
            verify(b"key", 7, "session-b", &token),
            None,
            "another session"
        );
        assert_eq!(
            verify(b"key", 8, "session-a", &token),
            None,
            "another on-sale"
        );
        assert_eq!(
            verify(b"other", 7, "session-a", &token),
            None,
            "another key"
        );
        let longer = token.replace(&until.to_string(), &(until + 1).to_string());
        assert_eq!(verify(b"key", 7, "session-a", &longer), None, "altered");
        let past = sign(b"key", 7, "session-a", "entry1", until - 120_000);
        assert_eq!(verify(b"key", 7, "session-a", &past), None, "expired");
        assert_eq!(verify(b"key", 7, "session-a", "a1.x.1.zz"), None);
    }
}
