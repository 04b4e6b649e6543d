//! The HTTP status of a server-rendered page.
//!
//! Pages decide their status while rendering (a showtime that does not exist is a 404). On the
//! server that lands in the response; in the browser there is no response to change.

#[cfg(feature = "ssr")]
pub fn set_status(code: u16) {
    use leptos::prelude::use_context;
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(code),
    ) {
        response.set_status(status);
    }
}

#[cfg(not(feature = "ssr"))]
pub fn set_status(_code: u16) {}
