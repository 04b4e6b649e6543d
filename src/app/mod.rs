//! The application as both sides see it: the HTML shell, the routes, and every page.
//!
//! Everything here compiles for the server (to render) and for the browser (to hydrate).
//! Server-only work happens behind server functions, whose bodies call into `crate::server`.

pub mod admin;
pub mod booking;
pub mod bundle;
pub mod catalog;
pub mod error;
pub mod money;
pub mod pages;
pub mod platform;
pub mod room;
pub mod status;

use leptos::prelude::*;
use leptos_meta::{Link, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{A, Route, Router, Routes},
    path,
};

// Each browser bundle compiles only its own area's pages (`bundle.rs`); in it, the other
// area's routes lead to `OtherArea`, which loads that page afresh, with the bundle that has it.
// The server renders every page.
#[cfg(not(all(
    feature = "hydrate",
    not(any(feature = "ssr", feature = "staff-bundle"))
)))]
use admin::{
    AdminAudit, AdminAuditorium, AdminBox, AdminHome, AdminLogin, AdminMovie, AdminSchedule,
    AdminShowtime, AdminStaff, AdminTheater,
};
#[cfg(all(feature = "staff-bundle", not(feature = "ssr")))]
use bundle::{
    OtherArea as BookingsPage, OtherArea as HomePage, OtherArea as MoviePage,
    OtherArea as OrderPage, OtherArea as ShowtimePage,
};
#[cfg(all(
    feature = "hydrate",
    not(any(feature = "ssr", feature = "staff-bundle"))
))]
use bundle::{
    OtherArea as AdminAudit, OtherArea as AdminAuditorium, OtherArea as AdminBox,
    OtherArea as AdminHome, OtherArea as AdminLogin, OtherArea as AdminMovie,
    OtherArea as AdminSchedule, OtherArea as AdminShowtime, OtherArea as AdminStaff,
    OtherArea as AdminTheater,
};
use pages::NotFound;
#[cfg(not(all(feature = "staff-bundle", not(feature = "ssr"))))]
use pages::{BookingsPage, HomePage, MoviePage, OrderPage, ShowtimePage};

/// The HTML document around the app; the server renders it, the browser never re-renders it.
/// It links the stylesheet and the browser bundle of the page's area ([`bundle::Bundle`]),
/// under the names the build gave them (content-hashed in a release build).
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;
    let files = crate::server::assets::for_this_page();
    let nonce = leptos::nonce::use_nonce();
    // What Leptos' `HydrationScripts` does, with our file names: start fetching the bundle
    // at once, then load the module and hydrate.
    let start = format!(
        "import init, {{ hydrate }} from {:?}; init({{ module_or_path: {:?} }}).then(() => hydrate());",
        files.js, files.wasm
    );
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options />
                <link id="leptos" rel="stylesheet" href=files.css />
                <link rel="modulepreload" href=files.js.clone() />
                <link
                    rel="preload"
                    href=files.wasm.clone()
                    r#as="fetch"
                    r#type="application/wasm"
                    crossorigin="anonymous"
                />
                <script type="module" nonce=nonce>
                    {start}
                </script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Effects only run in the browser, after hydration: this attribute tells people and
    // browser tests that the page is now interactive.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    // Pages render with `SsrMode::Async`: the server waits for their data, so the HTML is
    // complete without JavaScript and the status code (404 for an unknown showtime) is known
    // before the first byte is sent.
    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Router>
            <header class="site-header">
                <A href="/" attr:class="brand">
                    "Marquee"
                </A>
                <span class="tagline">"Pick your seats"</span>
                <nav class="site-nav" aria-label="Your account">
                    <A href="/bookings">"My bookings"</A>
                </nav>
            </header>
            <main class="page">
                <Routes fallback=|| view! { <NotFound what="page" /> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/movies/:id") view=MoviePage ssr=SsrMode::Async />
                    <Route path=path!("/showtimes/:id") view=ShowtimePage ssr=SsrMode::Async />
                    <Route path=path!("/orders/:code") view=OrderPage ssr=SsrMode::Async />
                    <Route path=path!("/bookings") view=BookingsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/login") view=AdminLogin ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminHome ssr=SsrMode::Async />
                    <Route path=path!("/admin/movies/:id") view=AdminMovie ssr=SsrMode::Async />
                    <Route path=path!("/admin/theaters/:id") view=AdminTheater ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/auditoriums/:id")
                        view=AdminAuditorium
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/admin/schedule") view=AdminSchedule ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/showtimes/:id")
                        view=AdminShowtime
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/admin/box") view=AdminBox ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AdminAudit ssr=SsrMode::Async />
                    <Route path=path!("/admin/staff") view=AdminStaff ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">"Marquee · open-source seat booking"</footer>
        </Router>
    }
}
