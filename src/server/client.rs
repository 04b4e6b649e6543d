//! Who is asking: the client's address, which limits key on because a fresh cookie is free.
//!
//! The address is the TCP peer's, unless that peer is one of the configured
//! `TRUSTED_PROXIES` (a load balancer): then it is the first address in `X-Forwarded-For`,
//! read from the right, that is not itself a trusted proxy. Anything a client writes into
//! `X-Forwarded-For` before it reaches our proxies stays to the left of that and is ignored,
//! so the header cannot be used to pick someone else's address. Without trusted proxies the
//! header is never read.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use super::AppState;
use crate::app::error::AppError;

/// The client's address, put into request extensions by [`middleware`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// A label for keys and logs: IPv4 as is, IPv6 by its /64 (one household or host usually
    /// owns a whole /64, so its single addresses are free to rotate through).
    pub fn bucket(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match IpNet::new(IpAddr::V6(v6), 64) {
                Ok(net) => net.trunc().to_string(),
                Err(_) => v6.to_string(),
            },
        }
    }
}

/// `TRUSTED_PROXIES`: addresses or networks (`10.0.0.0/8`, `127.0.0.1`), comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("not an address or network: {part}"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`, given the request's `X-Forwarded-For` values in order.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                // A malformed hop: nothing to its left can be trusted either.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// Works out the client's address and attaches it to the request.
pub async fn middleware(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let client = state.settings.trusted_proxies.client(peer.ip(), &forwarded);
    request.extensions_mut().insert(ClientIp(client));
    next.run(request).await
}

/// The client of the request being handled (inside a server function).
pub fn current() -> Result<ClientIp, AppError> {
    super::state::request_extension("client address")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_read_only_behind_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.5"), &["1.2.3.4"]), ip("10.0.0.5"));

        let lb: TrustedProxies = "10.0.0.0/8, 127.0.0.1".parse().unwrap();
        // Direct from a client: the header is the client's own word, ignored.
        assert_eq!(lb.client(ip("8.8.8.8"), &["1.2.3.4"]), ip("8.8.8.8"));
        // Through the balancer: the rightmost untrusted hop.
        assert_eq!(lb.client(ip("10.0.0.5"), &["1.2.3.4"]), ip("1.2.3.4"));
        // A client that forges a hop cannot push itself out of view.
        assert_eq!(
            lb.client(ip("10.0.0.5"), &["9.9.9.9, 1.2.3.4"]),
            ip("1.2.3.4")
        );
        // Several proxies, and several header lines.
        assert_eq!(
            lb.client(ip("127.0.0.1"), &["5.6.7.8", "10.1.1.1"]),
            ip("5.6.7.8")
        );
        // Nothing forwarded, or garbage: the proxy itself.
        assert_eq!(lb.client(ip("10.0.0.5"), &[]), ip("10.0.0.5"));
        assert_eq!(lb.client(ip("10.0.0.5"), &["nonsense"]), ip("10.0.0.5"));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        let a = ClientIp(ip("2001:db8:1:2:aaaa::1"));
        let b = ClientIp(ip("2001:db8:1:2:bbbb::2"));
        let c = ClientIp(ip("2001:db8:1:3::1"));
        assert_eq!(a.bucket(), b.bucket());
        assert_ne!(a.bucket(), c.bucket());
        assert_eq!(ClientIp(ip("1.2.3.4")).bucket(), "1.2.3.4");
    }
}
