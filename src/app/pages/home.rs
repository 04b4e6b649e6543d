//! The home page (`/`): every movie showing in the coming week.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{ErrorPanel, MovieCardView};
use crate::app::catalog::now_showing;

/// `/`: every movie with its showtimes of the coming week.
#[component]
pub fn HomePage() -> impl IntoView {
    let movies = Resource::new(|| (), |_| now_showing());
    view! {
        <Title text="Now showing · Marquee" />
        <h1>"Now showing"</h1>
        <Suspense fallback=|| {
            view! { <p class="loading">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match movies.await {
                    Ok(movies) => {
                        view! {
                            <ul class="movie-list">
                                {movies
                                    .into_iter()
                                    .map(|movie| {
                                        view! {
                                            <li>
                                                <MovieCardView movie />
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error what="catalog" /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
