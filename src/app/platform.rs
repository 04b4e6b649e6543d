//! The things the browser and the server do differently: reading the clock, making random
//! keys and the tab's session storage. Everything else in `app` is the same code on both
//! sides.

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

/// The value stored under `name` in this tab's `sessionStorage`, if any. Storage that is
/// missing or refused (disabled, some private modes) reads as empty: callers fall back to
/// what they keep in memory.
#[cfg(feature = "hydrate")]
pub fn session_get(name: &str) -> Option<String> {
    session_storage()?.get_item(name).ok().flatten()
}

/// Stores `value` under `name` in this tab's `sessionStorage`; does nothing if storage is
/// unavailable or full (see [`session_get`]).
#[cfg(feature = "hydrate")]
pub fn session_set(name: &str, value: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(name, value);
    }
}

/// Removes `name` from this tab's `sessionStorage`, if storage is available.
#[cfg(feature = "hydrate")]
pub fn session_remove(name: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.remove_item(name);
    }
}

/// `window.sessionStorage`: per tab, survives reloads, gone when the tab closes. Reading the
/// property itself throws when storage is disabled, hence the `ok()`.
#[cfg(feature = "hydrate")]
fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The server renders pages for no tab in particular: nothing is stored.
#[cfg(not(feature = "hydrate"))]
pub fn session_get(_name: &str) -> Option<String> {
    None
}

#[cfg(not(feature = "hydrate"))]
pub fn session_set(_name: &str, _value: &str) {}

#[cfg(not(feature = "hydrate"))]
pub fn session_remove(_name: &str) {}

/// Whether the page is running in the browser: `false` on the server and in the browser's
/// first render (so hydration finds the server's HTML unchanged), `true` once hydrated. For
/// controls that need JavaScript, shown only when it runs.
pub fn hydrated() -> leptos::prelude::Signal<bool> {
    use leptos::prelude::*;
    let on = RwSignal::new(false);
    Effect::new(move |_| on.set(true));
    on.into()
}
