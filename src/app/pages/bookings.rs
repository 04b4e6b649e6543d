//! "My bookings" (`/bookings`): the paid orders of this browser's session.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::ErrorPanel;
use crate::app::booking::{OrderSummary, my_orders};
use crate::app::money::format_cents;

#[component]
pub fn BookingsPage() -> impl IntoView {
    let orders = Resource::new(|| (), |_| my_orders());
    view! {
        <Title text="My bookings · Marquee" />
        <section class="bookings">
            <h1>"My bookings"</h1>
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match orders.await {
                        Ok(orders) if orders.is_empty() => {
                            view! {
                                <p class="muted" data-testid="no-bookings">
                                    "No bookings from this browser yet."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(orders) => view! { <OrderList orders /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error what="bookings" /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn OrderList(orders: Vec<OrderSummary>) -> impl IntoView {
    let items = orders
        .into_iter()
        .map(|order| {
            view! {
                <li data-testid="booking">
                    <A href=format!("/orders/{}", order.code)>
                        <strong>{order.movie_title}</strong>
                    </A>
                    " · "
                    <time>{order.starts_at}</time>
                    " · "
                    <span class="booking-seats">{order.seats.join(", ")}</span>
                    " · "
                    {format_cents(order.total_cents)}
                    " · "
                    <span class="booking-code">{order.code}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="booking-list">{items}</ul> }
}
