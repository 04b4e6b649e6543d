//! Security headers on every response, and the per-request nonce of the page's inline scripts.
//!
//! The Content-Security-Policy allows only this origin's files, plus the inline scripts Leptos
//! writes into a page (the hydration bootstrap and the serialized resources), which carry a
//! fresh nonce per response: an injected `<script>` has no nonce and does not run. The nonce
//! is made here, put into the request's extensions, and handed to Leptos by [`provide_nonce`]
//! (the context function of the page and server-function routes), so the header and the
//! `nonce="…"` attributes always agree.

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// The nonce of one response's inline scripts (128 random bits, hex).
#[derive(Debug, Clone)]
pub struct CspNonce(String);

impl CspNonce {
    fn generate() -> Self {
        Self(super::session::random_token())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The policy for a response whose inline scripts carry `nonce`.
///
/// - `'wasm-unsafe-eval'` lets the page compile its own WASM bundle (and nothing evaluates
///   JavaScript strings).
/// - `connect-src 'self'` covers the server functions and the same-origin live WebSocket
///   (CSP 3 lets `'self'` match `ws:`/`wss:` on the page's host and port).
/// - `style-src-attr 'unsafe-inline'`: the seat map places every seat with a `style`
///   attribute (`grid-row`/`grid-column`, data from the layout) and posters use `--hue`, so
///   the page is laid out without JavaScript. Style attributes cannot run script; `<style>`
///   elements and stylesheets stay limited to this origin.
fn policy(nonce: &CspNonce) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{}'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        nonce.0
    )
}

/// Responses that may show a visitor's holds, orders or session: never stored by a browser
/// or a shared cache. Static files (`/pkg/`, public files) keep their normal caching; the
/// catalog's server functions are the same for everyone and get theirs from `caching.rs`.
fn is_private(path: &str) -> bool {
    ["/api/", "/showtimes/", "/orders/", "/ws/", "/admin"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        && super::caching::catalog_route(path).is_none()
}

/// Makes the request's nonce and sets the security headers on its response.
pub async fn middleware(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = CspNonce::generate();
    let private = is_private(request.uri().path());
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    // A 304 has no content to protect, and its headers replace those the client stored
    // with its copy: a new nonce there would no longer match that copy's scripts.
    let not_modified = response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    if !not_modified && let Ok(value) = HeaderValue::from_str(&policy(&nonce)) {
        headers.insert(CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // HSTS only when the site says it is served over TLS: on plain HTTP the header is
    // ignored anyway, and a LAN deployment must not be pinned to HTTPS by accident.
    if state.settings.cookie_secure {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if private {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    response
}

/// Leptos context function: the inline scripts of this render use the request's nonce
/// (instead of the one Leptos makes up, which the header would not know).
pub fn provide_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_nonce_and_allows_no_inline_script_otherwise() {
        let nonce = CspNonce::generate();
        let csp = policy(&nonce);
        assert!(csp.contains(&format!("'nonce-{}'", nonce.0)));
        let script_src = csp
            .split("; ")
            .find(|d| d.starts_with("script-src "))
            .unwrap();
        assert!(!script_src.contains("unsafe-inline"), "{script_src}");
        assert_ne!(CspNonce::generate().0, nonce.0);
    }
}
