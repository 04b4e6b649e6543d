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

/// A fresh random key from the browser's CSPRNG (32 hex digits), e.g. for idempotent checkout.
///
/// `crypto.getRandomValues`, not `crypto.randomUUID`: the latter exists only in secure
/// contexts, so checkout on a plain-HTTP origin (a LAN address) would lose its key.
#[cfg(feature = "hydrate")]
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if filled {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    } else {
        format!("k{}", js_sys::Math::random().to_bits())
    }
}

/// Keys are only made in response to clicks, which the server never sees.
#[cfg(not(feature = "hydrate"))]
pub fn random_key() -> String {
    format!("server-{}", now_ms() as u64)
}
