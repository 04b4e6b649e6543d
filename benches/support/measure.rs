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

/// POSTs `body` as JSON to `url`: the status and the JSON answer (`null` if it is not JSON);
/// status 0, with the error as a string, when no answer came.
pub async fn post_json(
    client: &reqwest::Client,
    url: String,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    match client.post(url).json(&body).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or_default())
        }
        Err(error) => (0, serde_json::Value::String(error.to_string())),
    }
}

/// What a flash-sale buyer picks from a seat map (`sold` and `held` lists): 1 to 4 random free
/// seats of `all_seats`, or `None` when none is free.
pub fn pick_free(map: &serde_json::Value, all_seats: &[i64]) -> Option<Vec<i64>> {
    use rand::Rng;
    use rand::seq::IndexedRandom;
    let taken: std::collections::HashSet<i64> = ["sold", "held"]
        .iter()
        .flat_map(|k| map[*k].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_i64())
        .collect();
    let free: Vec<i64> = all_seats
        .iter()
        .copied()
        .filter(|s| !taken.contains(s))
        .collect();
    if free.is_empty() {
        return None;
    }
    let mut rng = rand::rng();
    let n = rng.random_range(1..=4).min(free.len());
    Some(free.choose_multiple(&mut rng, n).copied().collect())
}
