//! The staff pages, one concept per file: the frame every page shares (navigation, the
//! one-time message), signing in, the overview, the catalog forms, the layout editor, a
//! showtime's dashboard and box office, check-in, staff accounts and the audit log
//! (`team.rs`).

mod box_office;
mod catalog;
mod dashboard;
mod room;
mod team;

pub use box_office::AdminBox;
pub use catalog::{AdminMovie, AdminSchedule, AdminTheater};
pub use dashboard::AdminShowtime;
pub use room::AdminAuditorium;
pub use team::{AdminAudit, AdminStaff};

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::api::{load_overview, signed_in, take_flash};
use super::{Me, Role};
use crate::app::pages::ErrorPanel;

/// Every staff page: the staff navigation, the message the last form left, the page.
#[component]
fn Frame(title: String, children: Children) -> impl IntoView {
    let who = Resource::new(|| (), |_| signed_in());
    view! {
        <Title text=format!("{title} · Marquee staff") />
        <nav class="staff-nav" aria-label="Staff">
            <A href="/admin">"Overview"</A>
            <A href="/admin/box">"Box office"</A>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    who.await.ok().map(|who: Me| staff_links(&who))
                })}
            </Suspense>
            <form method="post" action="/api/admin/logout" class="inline">
                <button type="submit" class="link">
                    "Sign out"
                </button>
            </form>
        </nav>
        <FlashMessage />
        <h1>{title}</h1>
        {children()}
    }
}

fn staff_links(who: &Me) -> impl IntoView + use<> {
    let admin = (who.role == Role::Admin).then(|| {
        view! {
            <A href="/admin/schedule">"Schedule"</A>
            <A href="/admin/staff">"Staff"</A>
            <A href="/admin/audit">"Audit log"</A>
        }
    });
    view! {
        {admin}
        <span class="staff-who">{format!("{} ({})", who.email, who.role.as_str())}</span>
    }
}

/// What the last staff form said (shown once).
#[component]
fn FlashMessage() -> impl IntoView {
    let flash = Resource::new(|| (), |_| take_flash());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                flash
                    .await
                    .ok()
                    .flatten()
                    .map(|flash| {
                        let class = if flash.ok { "notice info" } else { "notice error" };
                        view! {
                            <p class=class role="status" id="flash">
                                {flash.message}
                            </p>
                        }
                    })
            })}
        </Suspense>
    }
}

/// `/admin/login`
#[component]
pub fn AdminLogin() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/admin".into());
    view! {
        <Title text="Staff sign-in · Marquee" />
        <section class="staff-login">
            <h1>"Staff sign-in"</h1>
            <FlashMessage />
            <form method="post" action="/api/admin/login" class="staff-form">
                <input type="hidden" name="next" value=next />
                <label>
                    "Email" <input type="email" name="email" required autocomplete="username" />
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        name="password"
                        required
                        autocomplete="current-password"
                    />
                </label>
                <button type="submit">"Sign in"</button>
            </form>
        </section>
    }
}

/// `/admin`: the schedule, the movies and the theaters.
#[component]
pub fn AdminHome() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_overview());
    view! {
        <Frame title="Overview".into()>
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => overview_view(data).into_any(),
                        Err(error) => view! { <ErrorPanel error what="overview" /> }.into_any(),
                    }
                })}
            </Suspense>
        </Frame>
    }
}

fn overview_view(data: super::Overview) -> impl IntoView {
    let admin = data.me.role == Role::Admin;
    let showtimes = data
        .showtimes
        .into_iter()
        .map(|s| {
            view! {
                <tr>
                    <td>
                        <A href=format!("/admin/showtimes/{}", s.id)>{s.starts_at}</A>
                    </td>
                    <td>{s.movie}</td>
                    <td>{format!("{} · {}", s.theater, s.auditorium)}</td>
                    <td>{format!("{} / {}", s.sold, s.seats)}</td>
                    <td>{if s.cancelled { "cancelled" } else { "on sale" }}</td>
                </tr>
            }
        })
        .collect_view();
    let movies = data
        .movies
        .into_iter()
        .map(|m| {
            let title = m.title.clone();
            view! {
                <li>
                    {if admin {
                        view! { <A href=format!("/admin/movies/{}", m.id)>{title}</A> }.into_any()
                    } else {
                        title.into_any()
                    }} {format!(" · {} min · {}", m.runtime_minutes, m.rating)}
                </li>
            }
        })
        .collect_view();
    let theaters = data
        .theaters
        .into_iter()
        .map(|t| {
            let rooms = t
                .auditoriums
                .into_iter()
                .map(|a| {
                    view! {
                        <li>
                            <A href=format!("/admin/auditoriums/{}", a.id)>{a.name}</A>
                            {format!(" · {} seats", a.seats)}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li>
                    <A href=format!("/admin/theaters/{}", t.id)>{t.name.clone()}</A>
                    {format!(" · {} · {}", t.city, t.timezone)}
                    <ul>
                        {rooms} <li>
                            <A href=format!(
                                "/admin/auditoriums/new?theater={}",
                                t.id,
                            )>"New room"</A>
                        </li>
                    </ul>
                </li>
            }
        })
        .collect_view();
    let catalog = admin.then(|| {
        view! {
            <section aria-labelledby="movies-h">
                <h2 id="movies-h">"Movies"</h2>
                <ul>{movies}</ul>
                <A href="/admin/movies/new">"New movie"</A>
            </section>
            <section aria-labelledby="theaters-h">
                <h2 id="theaters-h">"Theaters and rooms"</h2>
                <ul>{theaters}</ul>
                <A href="/admin/theaters/new">"New theater"</A>
            </section>
            <section aria-labelledby="reports-h">
                <h2 id="reports-h">"Reports"</h2>
                <form method="get" action="/admin/reports/days.csv" class="staff-form inline">
                    <label>"From" <input type="date" name="from" required /></label>
                    <label>"To" <input type="date" name="to" required /></label>
                    <button type="submit">"Orders per day (CSV)"</button>
                </form>
            </section>
        }
    });
    view! {
        <section aria-labelledby="showtimes-h">
            <h2 id="showtimes-h">"Showtimes"</h2>
            <table class="staff-table">
                <thead>
                    <tr>
                        <th scope="col">"Starts"</th>
                        <th scope="col">"Movie"</th>
                        <th scope="col">"Room"</th>
                        <th scope="col">"Sold"</th>
                        <th scope="col">"State"</th>
                    </tr>
                </thead>
                <tbody>{showtimes}</tbody>
            </table>
        </section>
        {catalog}
    }
}
