//! The order confirmation page (`/orders/:code`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::ErrorPanel;
use crate::app::booking::{OrderView, order};
use crate::app::money::format_cents;

/// `/orders/:code`: the confirmation of a purchase. The code is the key: anyone who has it
/// (the buyer, or whoever they forward it to) can see the order.
#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let confirmation = Resource::new(code, order);
    view! {
        <Suspense fallback=|| {
            view! { <p class="loading">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match confirmation.await {
                    Ok(order) => view! { <Confirmation order /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error what="order" /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Confirmation(order: OrderView) -> impl IntoView {
    let seats = order
        .seats
        .iter()
        .map(|seat| {
            view! {
                <li>
                    <span class="seat-name">{seat.name.clone()}</span>
                    <span class="seat-kind">{seat.kind.label()}</span>
                    <span class="seat-price">{format_cents(seat.price_cents)}</span>
                </li>
            }
        })
        .collect_view();
    let tickets = order
        .seats
        .iter()
        .map(|seat| {
            let name = seat.name.clone();
            view! {
                <figure class="ticket" data-testid="ticket" data-token=seat.ticket.clone()>
                    <img
                        src=format!("/tickets/{}/qr.svg", seat.ticket)
                        alt=format!("QR code of the ticket for seat {name}")
                        width="160"
                        height="160"
                    />
                    <figcaption>
                        <strong>{name}</strong>
                        " · "
                        {seat.kind.label()}
                    </figcaption>
                </figure>
            }
        })
        .collect_view();
    view! {
        <Title text=format!("Order {} · Marquee", order.code) />
        <section class="confirmation">
            <h1>"Booking confirmed"</h1>
            <p class="code">
                "Confirmation code " <strong data-testid="order-code">{order.code.clone()}</strong>
            </p>
            <p class="what">
                <strong>{order.movie_title.clone()}</strong>
                " · "
                <time>{order.starts_at.clone()}</time>
                " · "
                {order.auditorium.clone()}
                " · "
                {order.theater.clone()}
            </p>
            <ul class="selected-seats" data-testid="order-seats">
                {seats}
            </ul>
            <p class="total">
                "Total paid "
                <strong data-testid="order-total">{format_cents(order.total_cents)}</strong>
                {if order.card_last4.is_empty() {
                    " in cash at the box office".to_string()
                } else {
                    format!(" with the card ending {}", order.card_last4)
                }}
            </p>
            <p class="muted">
                {format!("Tickets for {} ({})", order.buyer_name, order.buyer_email)}
            </p>
            <h2>"Your tickets"</h2>
            <p class="muted">"Show one code per seat at the door, on screen or printed."</p>
            <div class="tickets" data-testid="tickets">
                {tickets}
            </div>
            <p class="order-links">
                <a
                    href=format!("/orders/{}/calendar.ics", order.code)
                    data-testid="calendar"
                    rel="external"
                >
                    "Add to calendar (.ics)"
                </a>
                " · "
                <A href=format!("/showtimes/{}", order.showtime_id)>"Back to the showtime"</A>
                " · "
                <A href="/bookings">"My bookings"</A>
            </p>
        </section>
    }
}
