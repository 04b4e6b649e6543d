//! Anonymous sessions: who is holding seats.
//!
//! Every visitor gets a cookie holding a random 128-bit id on first contact; that id is the
//! holder of their seat holds and the owner of their orders. The id is a bearer token: it is
//! unguessable (16 bytes from the OS-seeded CSPRNG), `HttpOnly` so scripts cannot read it,
//! `SameSite=Lax` so other sites cannot make the browser send it on a POST, and `Secure`
//! when `COOKIE_SECURE` says the site is served over TLS; then it is also named with the
//! `__Host-` prefix, which browsers accept only on a `Secure`, `Path=/` cookie without
//! `Domain`, so neither a sibling subdomain nor a plain-HTTP page can plant or overwrite it.
//! It is not signed: it carries no claims, only an identity that is already impossible to
//! guess.

use axum::extract::{Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::RngCore;

use super::AppState;
use super::client::ClientIp;
use super::limits::{Asker, Budget};
use crate::app::error::AppError;

pub const COOKIE: &str = "marquee_session";
/// The cookie's name when `COOKIE_SECURE` is on.
pub const SECURE_COOKIE: &str = "__Host-marquee_session";

/// The session cookie's name in use (it is read and written under this name only).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE } else { COOKIE }
}

/// The caller's session id, put into request extensions by [`middleware`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 32
            && raw
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| Self(raw.to_string()))
    }

    fn generate() -> Self {
        Self(random_token())
    }
}

/// Finds or issues the session, and refuses cross-site mutations and WebSockets.
pub async fn middleware(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_cross_site_mutation(&request) || is_cross_site_websocket(&request) {
        return super::body::refuse(request, AppError::Forbidden).await;
    }
    let name = cookie_name(state.settings.cookie_secure);
    let jar = CookieJar::from_headers(request.headers());
    let existing = jar.get(name).and_then(|c| SessionId::parse(c.value()));
    let (session, fresh) = match existing {
        Some(session) => (session, false),
        None => (SessionId::generate(), true),
    };
    let mut persist = needs_session(request.uri().path());
    // Sessions are free, so handing them out is limited per client address: past the
    // budget, a mutation without a session is refused, and a page is served without one.
    if fresh && persist {
        let client = request.extensions().get::<ClientIp>().copied();
        let asker = client.map(|client| Asker {
            client,
            session: None,
        });
        if let Some(asker) = asker
            && let Err(error) = state.limiter.spend(Budget::NewSessions, asker).await
        {
            if !matches!(*request.method(), Method::GET | Method::HEAD) {
                return super::body::refuse(request, error).await;
            }
            persist = false;
        }
    }
    request.extensions_mut().insert(session.clone());
    let mut response = next.run(request).await;
    if fresh && persist {
        let cookie = Cookie::build((name, session.0))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(state.settings.cookie_secure)
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// Whether a response to `path` hands out a session to a visitor who has none. Static files,
/// health checks and metrics need none, and neither does the catalog (`caching.rs`): its
/// responses are the same for everyone, so a CDN may share them, and a cookie in a shared
/// response would make one session everyone's. A visitor's first session then comes with the
/// first response that is theirs: a showtime page, or, when the browser navigates there from
/// the home page, its `seat_map` call, which the page awaits before opening the live socket
/// (so the socket and later calls carry that one session).
fn needs_session(path: &str) -> bool {
    !(path.starts_with("/pkg/")
        || path == "/healthz"
        || path == "/favicon.svg"
        || path == "/metrics"
        || super::caching::catalog_route(path).is_some())
}

/// A state-changing request sent by a page of another origin. Browsers say so in
/// `Sec-Fetch-Site` (or, older ones, in `Origin`); clients that are not browsers send
/// neither and are not affected.
fn is_cross_site_mutation(request: &Request) -> bool {
    !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) && is_cross_site(request)
}

/// A WebSocket opened by a page of another origin. WebSockets are not subject to CORS, and
/// `SameSite=Lax` keeps the cookie off only for another *site*, not for another origin of the
/// same site (another port or subdomain), so the socket (which shows the visitor's holds and
/// offers) gets the same origin check as a mutation.
fn is_cross_site_websocket(request: &Request) -> bool {
    let upgrade = request
        .headers()
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    upgrade && is_cross_site(request)
}

/// The browser says the request comes from a page of another origin.
fn is_cross_site(request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (
        headers.get("origin").and_then(|v| v.to_str().ok()),
        headers.get("host").and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => {
            let origin_host = origin
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or(origin);
            origin_host != host
        }
        _ => false,
    }
}

/// 128 bits from the OS-seeded CSPRNG, as 32 lowercase hex digits: session ids, CSP nonces.
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How a session appears in logs: a short hash, never the id itself (the id is a bearer
/// token: whoever reads it from a log could act as that visitor).
pub fn log_tag(session: &str) -> String {
    super::limits::short_hash(session)
}

/// The session of the request being handled (inside a server function or page render).
pub fn current() -> Result<SessionId, AppError> {
    super::state::request_extension("session")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_128_bit_hex_and_parse_back() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert_eq!(SessionId::parse(a.as_str()), Some(a));
        assert_eq!(SessionId::parse("not-a-session"), None);
        assert_eq!(SessionId::parse(&"A".repeat(32)), None);
    }
}
