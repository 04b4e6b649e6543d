//! The showtime page (`/showtimes/:id`): loads the showtime and this visitor's seat states,
//! builds the page's `BookingState` and lays out the booking components around it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::{ErrorPanel, id_param};
use crate::app::booking::forms::{PageExtras, page_state};
use crate::app::booking::{
    Announcer, BestAvailable, BookingState, CheckoutForm, HoldTimer, Legend, LinePanel,
    LiveIndicator, SeatMap, SeatMapState, SelectionSummary, connect_live,
};
use crate::app::catalog::{ShowtimeDetail, showtime};
use crate::app::error::AppError;
use crate::app::money::format_cents;

/// `/showtimes/:id`: the movie, the time, the prices and the seat map.
#[component]
pub fn ShowtimePage() -> impl IntoView {
    let id = id_param();
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => showtime(id).await,
            None => Err(AppError::not_found("showtime")),
        }
    });
    // This visitor's view of every seat (their own holds show as `mine`), and what the
    // page without JavaScript needs besides.
    let seats = Resource::new(id, |id| async move {
        match id {
            Some(id) => page_state(id).await,
            None => Err(AppError::not_found("showtime")),
        }
    });
    view! {
        <Suspense fallback=|| {
            view! { <p class="loading">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match (detail.await, seats.await) {
                    (Ok(detail), Ok((seats, extras))) => {
                        view! { <ShowtimeView detail seats extras /> }.into_any()
                    }
                    (Err(error), _) | (_, Err(error)) => {
                        view! { <ErrorPanel error what="showtime" /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ShowtimeView(detail: ShowtimeDetail, seats: SeatMapState, extras: PageExtras) -> impl IntoView {
    let booking = BookingState::new(&seats, &detail, extras);
    booking.restore_attempt();
    let checking_out = move || !booking.checkout_seats().is_empty();
    // Every change anyone makes to this showtime's seats, as it happens.
    let live = connect_live(booking);
    let seat_count = detail.layout.seats.len();
    let prices = detail
        .prices
        .iter()
        .map(|p| {
            view! {
                <li>
                    <span class="price-kind">{p.kind.label()}</span>
                    " "
                    <span class="price-amount">{format_cents(p.cents)}</span>
                </li>
            }
        })
        .collect_view();
    let movie_title = detail.movie_title.clone();
    let title = format!("{} · {} · Marquee", detail.movie_title, detail.starts_at);
    view! {
        <Title text=title />
        <section class="showtime">
            <header class="showtime-header">
                <div
                    class="poster small"
                    style=format!("--hue: {}", detail.poster_hue)
                    aria-hidden="true"
                />
                <div>
                    <h1>
                        <A href=format!("/movies/{}", detail.movie_id)>{movie_title}</A>
                    </h1>
                    <p class="facts">
                        <span class="rating">{detail.rating.clone()}</span>
                        <span class="runtime">{format!("{} min", detail.runtime_minutes)}</span>
                    </p>
                    <p class="when">
                        <time>{detail.starts_at.clone()}</time>
                        " · "
                        <span class="auditorium-name">{detail.auditorium.clone()}</span>
                        " · "
                        <span class="theater-name">{detail.theater.clone()}</span>
                        " · "
                        <span class="seat-count" data-seat-count=seat_count>
                            {format!("{seat_count} seats")}
                        </span>
                    </p>
                    <ul class="prices" aria-label="Prices">
                        {prices}
                    </ul>
                </div>
            </header>
            {detail
                .cancelled
                .then(|| {
                    view! {
                        <p class="cancelled-banner" role="status">
                            "This showtime was cancelled: its seats are not on sale."
                        </p>
                    }
                })}
            {detail.on_sale_id.map(|on_sale| view! { <OnSaleBanner on_sale booking /> })}
            <div class="booking">
                <div class="booking-map">
                    <LiveIndicator status=live />
                    <Announcer booking />
                    <SeatMap layout=detail.layout.clone() booking />
                    <Legend />
                </div>
                <aside class="side">
                    <LinePanel booking />
                    <HoldTimer booking />
                    <BestAvailable booking />
                    <SelectionSummary detail=detail.clone() booking />
                    <Show when=checking_out>
                        <CheckoutForm booking />
                    </Show>
                </aside>
            </div>
        </section>
    }
}

/// A showtime sold through an on-sale's waiting room: where to queue, and (live, from the
/// socket) where this person stands in it.
#[component]
fn OnSaleBanner(on_sale: i64, booking: BookingState) -> impl IntoView {
    use crate::app::room::{EtaBasis, QueueState};
    let href = format!("/on_sales/{on_sale}");
    let standing = move || {
        booking.queue.get().map(|status| match status.state {
            QueueState::Waiting => match (status.position, status.eta_secs) {
                (Some(position), Some(secs)) => {
                    let guess = match status.eta_basis {
                        Some(EtaBasis::Measured) => "",
                        _ => ", a guess from the planned pace",
                    };
                    format!(
                        "You are number {position} in the queue: about {} min to go{guess}.",
                        secs.div_ceil(60).max(1)
                    )
                }
                (Some(position), None) => format!("You are number {position} in the queue."),
                _ => "You are in the queue; places are drawn at the opening.".to_string(),
            },
            QueueState::Admitted => "It is your turn: pick your seats.".to_string(),
            QueueState::Left | QueueState::Expired => {
                "Your turn in the queue has ended.".to_string()
            }
            QueueState::Out => String::new(),
        })
    };
    view! {
        <p class="on-sale-banner" role="status" data-on-sale=on_sale>
            "Seats for this showtime are sold through a queue: only people it lets in may hold them. "
            <a href=href rel="external">
                "Go to the queue"
            </a>
            " "
            <span class="queue-standing">{standing}</span>
        </p>
    }
}
