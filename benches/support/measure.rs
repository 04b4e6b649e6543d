//! What the HTTP benches share: a client like a browser's (its own cookie jar, one idle
//! connection kept), and how latencies are reported.

use std::time::Duration;

/// A client with its own cookies (one visitor), keeping one idle connection to reuse.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(1)
        .build()
        .unwrap()
}

/// The `p` quantile (0 to 1) of `sorted` latencies, the nearest sample; zero without any.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
