//! HTTP caching of the catalog, fit for a CDN: `Cache-Control`, `ETag`, `304 Not Modified`.
//!
//! The catalog is the same for every visitor: the home page (`/`), movie pages
//! (`/movies/{id}`) and the catalog server functions (`/api/now_showing`, `/api/movie`,
//! `/api/showtime`). A `200` to a `GET` of one of them gets
//!
//! - `Cache-Control: public, max-age=<CATALOG_MAX_AGE_SECS>,
//!   stale-while-revalidate=<CATALOG_STALE_SECS>`, so browsers and shared caches reuse it;
//! - an `ETag` from a hash of the body, and a request whose `If-None-Match` names it gets
//!   `304 Not Modified` without a body. JSON answers are byte for byte the same while the
//!   catalog is, so theirs is strong (`"…"`). A page differs from the last only in its CSP
//!   nonce (new on every response, `headers.rs`), so the nonce is left out of the hash and
//!   the tag is weak (`W/"…"`: the same content, not the same bytes). A `304` carries no CSP
//!   header (`headers.rs`): a client revalidating keeps the page it has, and that page's
//!   scripts carry the nonce of the policy stored with it.
//!
//! Everything else a visitor sees is theirs (holds, orders, the session) and keeps
//! `private, no-store` (`headers.rs`). What keeps a catalog response shareable:
//!
//! - Catalog routes never hand out a session (`session.rs`): they do not use one, and a
//!   cookie in a response a CDN shares would become everyone's session.
//! - Should one carry `Set-Cookie` anyway, it is `private, no-store`: never `public`.
//! - Errors and redirects (a `404` for an unknown movie, a server function's redirect for a
//!   plain HTML form) are `no-store`.
//!
//! A shared cache keeps a page with the nonce it was rendered with, so everyone it serves in
//! the next `max-age` + `stale-while-revalidate` seconds sees that nonce. A nonce only has to be
//! unknown to whoever could inject markup into the response it protects, and a cached
//! response is already fixed, so this is the usual trade-off of nonce-based CSP behind a CDN.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH, SET_COOKIE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::headers::CspNonce;

/// The catalog responses, by how their validator is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catalog {
    /// A server function's JSON answer: a strong `ETag`.
    Api,
    /// A page: a weak `ETag`, the nonce left out.
    Page,
}

/// Whether `path` is a catalog response, the same for everyone.
pub fn catalog_route(path: &str) -> Option<Catalog> {
    match path {
        "/api/now_showing" | "/api/movie" | "/api/showtime" => Some(Catalog::Api),
        "/" => Some(Catalog::Page),
        _ if path.starts_with("/movies/") => Some(Catalog::Page),
        _ => None,
    }
}

/// Catalog bodies are tens of KiB; anything near this is a bug, not a page.
const MAX_BODY: usize = 16 * 1024 * 1024;

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(kind) = catalog_route(request.uri().path()) else {
        return next.run(request).await;
    };
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        return next.run(request).await;
    }
    let asked = request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let nonce = request.extensions().get::<CspNonce>().cloned();
    let response = next.run(request).await;

    let shareable = HeaderValue::from_str(&format!(
        "public, max-age={}, stale-while-revalidate={}",
        state.settings.catalog_max_age.as_secs(),
        state.settings.catalog_stale.as_secs()
    ));
    let policy = match (policy(&response), shareable) {
        (Policy::Public, Ok(shareable)) => shareable,
        (Policy::Private, _) | (Policy::Public, Err(_)) => {
            return with_cache_control(response, "private, no-store");
        }
        (Policy::NoStore, _) => return with_cache_control(response, "no-store"),
    };
    // A HEAD's body may be gone by now; it gets the policy but no validator.
    if method == Method::HEAD {
        let mut response = response;
        response.headers_mut().insert(CACHE_CONTROL, policy);
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "a catalog response could not be read for its ETag");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let etag = match kind {
        Catalog::Api => format!("\"{}\"", digest(&bytes, None)),
        Catalog::Page => format!(
            "W/\"{}\"",
            digest(&bytes, nonce.as_ref().map(CspNonce::as_str))
        ),
    };
    let Ok(etag) = HeaderValue::from_str(&etag) else {
        return with_cache_control(Response::from_parts(parts, Body::from(bytes)), "no-store");
    };
    if asked.is_some_and(|asked| names(&asked, &etag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        not_modified.headers_mut().insert(ETAG, etag);
        not_modified.headers_mut().insert(CACHE_CONTROL, policy);
        return not_modified;
    }
    parts.headers.insert(ETAG, etag);
    parts.headers.insert(CACHE_CONTROL, policy);
    Response::from_parts(parts, Body::from(bytes))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// The same for everyone: shared caches may keep it.
    Public,
    /// Sets a cookie: only for this client, and not even kept by it.
    Private,
    /// An error or a redirect: not kept.
    NoStore,
}

fn policy(response: &Response) -> Policy {
    if response.headers().contains_key(SET_COOKIE) {
        Policy::Private
    } else if response.status() == StatusCode::OK {
        Policy::Public
    } else {
        Policy::NoStore
    }
}

fn with_cache_control(mut response: Response, value: &'static str) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// 128 bits of the body's SHA-256, as hex; every occurrence of `skip` (the nonce) left out.
fn digest(body: &[u8], skip: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    let mut rest = body;
    if let Some(skip) = skip.map(str::as_bytes).filter(|s| !s.is_empty()) {
        while let Some(at) = rest.windows(skip.len()).position(|w| w == skip) {
            hasher.update(&rest[..at]);
            rest = &rest[at + skip.len()..];
        }
    }
    hasher.update(rest);
    hasher
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, as RFC 9110 asks for
/// `If-None-Match`; `*` names any).
fn names(if_none_match: &str, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or_default();
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    if_none_match
        .split(',')
        .any(|tag| tag.trim() == "*" || opaque(tag) == opaque(ours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_the_home_page_movie_pages_and_three_server_functions() {
        assert_eq!(catalog_route("/"), Some(Catalog::Page));
        assert_eq!(catalog_route("/movies/3"), Some(Catalog::Page));
        assert_eq!(catalog_route("/api/now_showing"), Some(Catalog::Api));
        assert_eq!(catalog_route("/api/movie"), Some(Catalog::Api));
        assert_eq!(catalog_route("/api/showtime"), Some(Catalog::Api));
        for private in [
            "/showtimes/3",
            "/orders/ABC",
            "/api/seat_map",
            "/api/showtimes",
            "/api/order",
            "/ws/showtimes/3",
            "/metrics",
        ] {
            assert_eq!(catalog_route(private), None, "{private}");
        }
    }

    #[test]
    fn a_response_that_sets_a_cookie_is_never_public() {
        let mut response = StatusCode::OK.into_response();
        assert_eq!(policy(&response), Policy::Public);
        response
            .headers_mut()
            .insert(SET_COOKIE, HeaderValue::from_static("marquee_session=x"));
        assert_eq!(policy(&response), Policy::Private);
        assert_eq!(
            policy(&StatusCode::NOT_FOUND.into_response()),
            Policy::NoStore
        );
    }

    #[test]
    fn the_nonce_does_not_change_a_pages_tag() {
        let a = b"<script nonce=\"aaaa\">x</script><p>same</p>";
        let b = b"<script nonce=\"bbbb\">x</script><p>same</p>";
        let c = b"<script nonce=\"bbbb\">x</script><p>other</p>";
        assert_eq!(digest(a, Some("aaaa")), digest(b, Some("bbbb")));
        assert_ne!(digest(b, Some("bbbb")), digest(c, Some("bbbb")));
        assert_ne!(digest(a, None), digest(b, None));
        assert_eq!(digest(a, None).len(), 32);
    }

    #[test]
    fn if_none_match_names_a_tag_weakly_or_with_a_star() {
        let strong = HeaderValue::from_static("\"abc\"");
        let weak = HeaderValue::from_static("W/\"abc\"");
        assert!(names("\"abc\"", &strong));
        assert!(names("W/\"abc\"", &strong));
        assert!(names("\"x\", W/\"abc\"", &weak));
        assert!(names("*", &strong));
        assert!(!names("\"abd\"", &strong));
    }
}
