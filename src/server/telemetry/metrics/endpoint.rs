//! `GET /metrics`: the recorder's text, for callers on this machine or with the token.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::error::AppError;
use crate::server::AppState;
use crate::server::config::Secret;

/// `GET /metrics`: 404 with `METRICS=false`; 403 unless [`may_read`].
pub async fn scrape(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let Some(handle) = state.metrics.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !may_read(state.settings.metrics_token.as_ref(), peer.ip(), &headers) {
        return AppError::Forbidden.into_response();
    }
    let headers = [
        (CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
        (CACHE_CONTROL, "no-store"),
    ];
    (headers, handle.render()).into_response()
}

/// Who may read the metrics (they describe the service's traffic, which is nobody else's
/// business): a caller on this machine talking to the instance directly, or anyone with the
/// bearer token when `METRICS_TOKEN` is set. A request that came through a proxy says so with
/// a forwarding header, and is then not "on this machine" even when the proxy is: a load
/// balancer on the same host must not open the metrics to the internet.
pub fn may_read(token: Option<&Secret>, peer: IpAddr, headers: &HeaderMap) -> bool {
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| headers.contains_key(*name));
    if peer.to_canonical().is_loopback() && !forwarded {
        return true;
    }
    let offered = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match (token, offered) {
        (Some(token), Some(offered)) => same(token.expose().as_bytes(), offered.trim().as_bytes()),
        _ => false,
    }
}

/// Compares in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn metrics_are_for_direct_local_callers_or_the_token() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let remote: IpAddr = "203.0.113.7".parse().unwrap();
        assert!(may_read(None, local, &headers(&[])));
        assert!(may_read(None, mapped, &headers(&[])));
        assert!(!may_read(None, remote, &headers(&[])));
        // A proxy on this machine forwarding someone else's request.
        let proxied = headers(&[("x-forwarded-for", "198.51.100.4")]);
        assert!(!may_read(None, local, &proxied));

        let token = Secret::new("0123456789abcdef");
        let bearer = |value: &str| headers(&[("authorization", value)]);
        assert!(may_read(
            Some(&token),
            remote,
            &bearer("Bearer 0123456789abcdef")
        ));
        assert!(!may_read(
            Some(&token),
            remote,
            &bearer("Bearer 0123456789abcdeX")
        ));
        assert!(!may_read(Some(&token), remote, &bearer("Bearer 0123")));
        assert!(!may_read(Some(&token), remote, &bearer("0123456789abcdef")));
        assert!(!may_read(None, remote, &bearer("Bearer 0123456789abcdef")));
    }
}
