//! The two things the browser and the server do differently: reading the clock and making
//! random keys. Everything else in `app` is the same code on both sides.

/// Milliseconds since the Unix epoch.
#[cfg(feature = "hydrate")]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(feature = "hydrate"))]
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// A fresh random key (a UUID from the browser's CSPRNG), e.g. for idempotent checkout.
#[cfg(feature = "hydrate")]
pub fn random_key() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("k{}", js_sys::Math::random().to_bits()))
}

/// Keys are only made in response to clicks, which the server never sees.
#[cfg(not(feature = "hydrate"))]
pub fn random_key() -> String {
    format!("server-{}", now_ms() as u64)
}
