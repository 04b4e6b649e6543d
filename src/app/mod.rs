//! The application as both sides see it: the HTML shell, the routes, and every page.
//!
//! Everything here compiles for the server (to render) and for the browser (to hydrate).
//! Server-only work happens behind server functions, whose bodies call into `crate::server`.

pub mod admin;
pub mod booking;
pub mod catalog;
pub mod error;
pub mod money;
pub mod pages;
pub mod platform;
pub mod status;

use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{A, Route, Router, Routes},
    path,
};

use admin::{
    AdminAudit, AdminAuditorium, AdminBox, AdminHome, AdminLogin, AdminMovie, AdminSchedule,
    AdminShowtime, AdminStaff, AdminTheater,
};
use pages::{BookingsPage, HomePage, MoviePage, NotFound, OrderPage, ShowtimePage};

/// The HTML document around the app; the server renders it, the browser never re-renders it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
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
        <Stylesheet id="leptos" href="/pkg/marquee.css" />
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
