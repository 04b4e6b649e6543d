//! The movie page (`/movies/:id`): one movie and its upcoming showtimes.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{ErrorPanel, MovieCardView, id_param};
use crate::app::catalog::movie;
use crate::app::error::AppError;

/// `/movies/:id`: one movie and its upcoming showtimes.
#[component]
pub fn MoviePage() -> impl IntoView {
    let id = id_param();
    let card = Resource::new(id, |id| async move {
        match id {
            Some(id) => movie(id).await,
            None => Err(AppError::not_found("movie")),
        }
    });
    view! {
        <Suspense fallback=|| {
            view! { <p class="loading">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match card.await {
                    Ok(movie) => {
                        view! {
                            <Title text=format!("{} · Marquee", movie.title) />
                            <MovieCardView movie />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error what="movie" /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
