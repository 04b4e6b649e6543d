//! The catalog forms: a movie, a theater, scheduling a showtime. Each posts to its staff
//! server function, which validates everything and answers with the next page.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::Frame;
use crate::app::admin::api::load_overview;
use crate::app::admin::{AdminMovieRow, AdminTheaterRow, Overview};
use crate::app::pages::ErrorPanel;

/// The `:id` of the page: `Some(0)` for "new", `None` when it is not a number.
fn edit_id() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || match params.read().get("id").as_deref() {
        Some("new") => Some(0),
        Some(id) => id.parse().ok(),
        None => None,
    }
}

/// Loads the overview for a form and renders `form` with it.
fn with_overview<V: IntoView + 'static>(
    what: &'static str,
    form: impl Fn(Overview) -> V + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let data = Resource::new(|| (), |_| load_overview());
    view! {
        <Suspense fallback=|| {
            view! { <p class="loading">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => form(data).into_any(),
                    Err(error) => view! { <ErrorPanel error what=what /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/admin/movies/:id` (or `new`).
#[component]
pub fn AdminMovie() -> impl IntoView {
    let id = edit_id();
    let form = move |data: Overview| {
        let Some(id) = id() else {
            return view! { <p>"No such movie."</p> }.into_any();
        };
        let movie = data
            .movies
            .into_iter()
            .find(|m| m.id == id)
            .unwrap_or(AdminMovieRow {
                id: 0,
                title: String::new(),
                runtime_minutes: 100,
                rating: String::new(),
                synopsis: String::new(),
                poster_hue: 220,
            });
        if id != 0 && movie.id == 0 {
            return view! { <p>"No such movie."</p> }.into_any();
        }
        view! {
            <form method="post" action="/api/admin/catalog/movie" class="staff-form">
                <input type="hidden" name="id" value=movie.id.to_string() />
                <label>
                    "Title" <input name="title" required maxlength="200" value=movie.title />
                </label>
                <label>
                    "Runtime (minutes)"
                    <input
                        name="runtime_minutes"
                        type="number"
                        min="1"
                        max="600"
                        required
                        value=movie.runtime_minutes.to_string()
                    />
                </label>
                <label>
                    "Rating" <input name="rating" required maxlength="20" value=movie.rating />
                </label>
                <label>
                    "Synopsis" <textarea name="synopsis" rows="4" maxlength="2000">
                        {movie.synopsis}
                    </textarea>
                </label>
                <label>
                    "Poster colour (hue, 0–359)"
                    <input
                        name="poster_hue"
                        type="number"
                        min="0"
                        max="359"
                        required
                        value=movie.poster_hue.to_string()
                    />
                </label>
                <button type="submit">"Save the movie"</button>
            </form>
        }
        .into_any()
    };
    view! { <Frame title="Movie".into()>{with_overview("movie", form)}</Frame> }
}

/// `/admin/theaters/:id` (or `new`).
#[component]
pub fn AdminTheater() -> impl IntoView {
    let id = edit_id();
    let form = move |data: Overview| {
        let Some(id) = id() else {
            return view! { <p>"No such theater."</p> }.into_any();
        };
        let theater = data
            .theaters
            .into_iter()
            .find(|t| t.id == id)
            .unwrap_or(AdminTheaterRow {
                id: 0,
                name: String::new(),
                city: String::new(),
                timezone: "Europe/Berlin".into(),
                companion_needs_wheelchair: true,
                matinee_before: "17:00".into(),
                matinee_discount_percent: 0,
                auditoriums: Vec::new(),
            });
        if id != 0 && theater.id == 0 {
            return view! { <p>"No such theater."</p> }.into_any();
        }
        view! {
            <form method="post" action="/api/admin/catalog/theater" class="staff-form">
                <input type="hidden" name="id" value=theater.id.to_string() />
                <label>
                    "Name" <input name="name" required maxlength="100" value=theater.name />
                </label>
                <label>
                    "City" <input name="city" required maxlength="100" value=theater.city />
                </label>
                <label>
                    "Time zone (IANA, e.g. Europe/Berlin)"
                    <input name="timezone" required value=theater.timezone />
                </label>
                <label class="check">
                    <input
                        type="checkbox"
                        name="companion_needs_wheelchair"
                        value="on"
                        checked=theater.companion_needs_wheelchair
                    />
                    "Companion seats are sold only with a wheelchair space"
                </label>
                <label>
                    "Matinees start before"
                    <input
                        name="matinee_before"
                        type="time"
                        required
                        value=theater.matinee_before
                    />
                </label>
                <label>
                    "Matinee discount (%)"
                    <input
                        name="matinee_discount_percent"
                        type="number"
                        min="0"
                        max="90"
                        required
                        value=theater.matinee_discount_percent.to_string()
                    />
                </label>
                <button type="submit">"Save the theater"</button>
            </form>
        }
        .into_any()
    };
    view! { <Frame title="Theater".into()>{with_overview("theater", form)}</Frame> }
}

/// `/admin/schedule`: a new showtime.
#[component]
pub fn AdminSchedule() -> impl IntoView {
    let form = |data: Overview| {
        let movies = data
            .movies
            .iter()
            .map(|m| view! { <option value=m.id.to_string()>{m.title.clone()}</option> })
            .collect_view();
        let rooms = data
            .theaters
            .iter()
            .flat_map(|t| {
                t.auditoriums.iter().map(|a| {
                    view! { <option value=a.id.to_string()>{format!("{} · {}", t.name, a.name)}</option> }
                })
            })
            .collect_view();
        let price = |name: &'static str, label: &'static str, value: &'static str| {
            view! { <label>{label} <input name=name required inputmode="decimal" value=value /></label> }
        };
        view! {
            <form method="post" action="/api/admin/catalog/showtime" class="staff-form">
                <label>
                    "Movie" <select name="movie_id" required>
                        {movies}
                    </select>
                </label>
                <label>
                    "Room" <select name="auditorium_id" required>
                        {rooms}
                    </select>
                </label>
                <label>
                    "Starts (the theater's local time)"
                    <input name="starts_at" type="datetime-local" required />
                </label>
                <fieldset>
                    <legend>"Prices (before the theater's matinee discount)"</legend>
                    {price("price_standard", "Standard", "12.00")}
                    {price("price_premium", "Premium", "16.00")}
                    {price("price_wheelchair", "Wheelchair space", "12.00")}
                    {price("price_companion", "Companion seat", "12.00")}
                </fieldset>
                <button type="submit">"Schedule"</button>
            </form>
            <h2 id="on-sale-heading">"Sell through a queue"</h2>
            <p>
                "For a big release: its showtimes open at a set time, and people are let in from a fair queue (docs/api.md, On-sales)."
            </p>
            <form
                method="post"
                action="/api/admin/catalog/on_sale"
                class="staff-form"
                aria-labelledby="on-sale-heading"
            >
                <label>"Name" <input name="name" required maxlength="200" /></label>
                <label>
                    "Opens (UTC, like 2026-12-24T10:00:00Z)"
                    <input name="opens_at" required placeholder="2026-12-24T10:00:00Z" />
                </label>
                <label>
                    "Queue opens this many minutes before"
                    <input
                        name="prequeue_minutes"
                        type="number"
                        min="0"
                        max="1440"
                        value="15"
                        required
                    />
                </label>
                <label>
                    "People let in per minute"
                    <input
                        name="admit_per_minute"
                        type="number"
                        min="1"
                        max="100000"
                        value="300"
                        required
                    />
                </label>
                <label>
                    "At most shopping at once"
                    <input
                        name="max_active"
                        type="number"
                        min="1"
                        max="100000"
                        value="200"
                        required
                    />
                </label>
                <label>
                    "Showtime ids (comma-separated)"
                    <input name="showtime_ids" required inputmode="numeric" />
                </label>
                <button type="submit">"Create the on-sale"</button>
            </form>
        }
    };
    view! { <Frame title="Schedule a showtime".into()>{with_overview("schedule", form)}</Frame> }
}
