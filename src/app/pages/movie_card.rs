//! One movie's card (poster, facts, showtimes by day), shared by the home and movie pages.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::catalog::MovieCard;

/// A movie with its poster area, facts, and showtimes by day.
#[component]
pub fn MovieCardView(movie: MovieCard) -> impl IntoView {
    let MovieCard {
        id,
        title,
        synopsis,
        runtime_minutes,
        rating,
        poster_hue,
        days,
    } = movie;
    let has_showtimes = !days.is_empty();
    view! {
        <article class="movie-card" aria-labelledby=format!("movie-{id}")>
            <div class="poster" style=format!("--hue: {poster_hue}") aria-hidden="true">
                <span>{title.clone()}</span>
            </div>
            <div class="movie-body">
                <h2 id=format!("movie-{id}")>
                    <A href=format!("/movies/{id}")>{title}</A>
                </h2>
                <p class="facts">
                    <span class="rating">{rating}</span>
                    <span class="runtime">{format!("{runtime_minutes} min")}</span>
                </p>
                <p class="synopsis">{synopsis}</p>
                <Show
                    when=move || has_showtimes
                    fallback=|| view! { <p class="muted">"No upcoming showtimes."</p> }
                >
                    <ul class="showtime-days">
                        {days
                            .clone()
                            .into_iter()
                            .map(|day| {
                                view! {
                                    <li class="showtime-day">
                                        <span class="day-label">{day.label}</span>
                                        <ul class="showtimes">
                                            {day
                                                .showtimes
                                                .into_iter()
                                                .map(|s| {
                                                    let auditorium = s.auditorium.clone();
                                                    view! {
                                                        <li>
                                                            <A
                                                                href=format!("/showtimes/{}", s.id)
                                                                attr:class="showtime-link"
                                                                attr:data-auditorium=auditorium
                                                            >
                                                                <span class="time">{s.time}</span>
                                                                <span class="auditorium">{s.auditorium}</span>
                                                            </A>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </Show>
            </div>
        </article>
    }
}
