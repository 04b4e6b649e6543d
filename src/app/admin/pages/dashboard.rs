//! `/admin/showtimes/:id`: a showtime's live sales dashboard, and its box office.
//!
//! The counts and the seat map follow the public live feed (the same WebSocket every
//! visitor's map uses, which names nobody); whenever a seat changes, and every few seconds
//! (for the waiting line's length), the revenue, the line, the sales chart and the orders are
//! read again. Below: block and unblock seats, sell at the counter, refund an order, cancel
//! the showtime, the orders as CSV.

use leptos::prelude::*;
use leptos_router::components::A;

use super::Frame;
use crate::app::admin::api::load_dashboard;
use crate::app::admin::{Dashboard, OrderLine};
use crate::app::booking::forms::PageExtras;
use crate::app::booking::{BookingState, LiveIndicator, SeatState, connect_live, seat_map};
use crate::app::catalog::{ShowtimeDetail, showtime};
use crate::app::error::AppError;
use crate::app::money::format_cents;
use crate::app::pages::{ErrorPanel, id_param};

/// How often the dashboard reads its figures again, besides on every seat change.
const REFRESH_SECS: u64 = 3;

#[component]
pub fn AdminShowtime() -> impl IntoView {
    let id = id_param();
    let live = Resource::new(id, |id| async move {
        let id = id.ok_or_else(|| AppError::not_found("showtime"))?;
        Ok::<_, AppError>((showtime(id).await?, seat_map(id).await?))
    });
    view! {
        <Frame title="Showtime".into()>
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match live.await {
                        Ok((detail, seats)) => {
                            let booking = BookingState::new(&seats, &detail, PageExtras::default());
                            view! { <Live detail booking /> }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel error what="showtime" /> }.into_any(),
                    }
                })}
            </Suspense>
        </Frame>
    }
}

#[component]
fn Live(detail: ShowtimeDetail, booking: BookingState) -> impl IntoView {
    let status = connect_live(booking);
    let ids: Vec<i64> = detail.layout.seats.iter().map(|s| s.id).collect();
    let count = {
        let ids = ids.clone();
        move |wanted: &'static [SeatState]| {
            let ids = ids.clone();
            Memo::new(move |_| {
                ids.iter()
                    .filter(|id| wanted.contains(&booking.seat(**id).get()))
                    .count()
            })
        }
    };
    let taken = count(&[SeatState::Sold]);
    let held = count(&[SeatState::Held, SeatState::Mine]);
    let free = count(&[SeatState::Available]);
    let showtime_id = detail.id;
    // The waiting line's length is not in the seat feed (a socket hears only its own place):
    // besides every change of the seats, the figures are read again every few seconds.
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || tick.update(|t| *t = t.wrapping_add(1)),
            std::time::Duration::from_secs(REFRESH_SECS),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let sales = Resource::new(
        move || (taken.get(), held.get(), tick.get()),
        move |_| load_dashboard(showtime_id),
    );
    let seats = detail
        .layout
        .seats
        .iter()
        .map(|seat| {
            let id = seat.id;
            let state = move || booking.seat(id).get().as_str();
            view! {
                <span
                    class="staff-seat"
                    data-seat-id=id
                    data-state=state
                    title=format!("{}{}", seat.row_label, seat.number)
                    style=format!("grid-row: {}; grid-column: {}", seat.grid_row, seat.grid_col)
                />
            }
        })
        .collect_view();
    let grid = format!(
        "--cols: {}; --rows: {}",
        detail.layout.grid_cols, detail.layout.grid_rows
    );
    view! {
        <p class="when">
            <A href=format!("/showtimes/{}", detail.id)>{detail.movie_title.clone()}</A>
            {format!(" · {} · {} · {}", detail.starts_at, detail.theater, detail.auditorium)}
        </p>
        <LiveIndicator status />
        <dl class="staff-counts" aria-live="polite">
            <div>
                <dt>"Free"</dt>
                <dd id="count-free">{move || free.get()}</dd>
            </div>
            <div>
                <dt>"Held"</dt>
                <dd id="count-held">{move || held.get()}</dd>
            </div>
            <div>
                <dt>"Sold or blocked"</dt>
                <dd id="count-taken">{move || taken.get()}</dd>
            </div>
        </dl>
        <div class="staff-map" style=grid role="img" aria-label="Seat map: free, held, sold">
            {seats}
        </div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match sales.await {
                    Ok(data) => view! { <Sales data /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error what="sales" /> }.into_any(),
                }
            })}
        </Transition>
        <BoxOffice showtime_id />
    }
}

#[component]
fn Sales(data: Dashboard) -> impl IntoView {
    let max = data.sales.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let width = (data.sales.len().max(1) * 40) as u32;
    let bars = data
        .sales
        .iter()
        .enumerate()
        .map(|(i, (hour, n))| {
            let h = (*n * 100 / max).max(1);
            view! {
                <g>
                    <rect x=i * 40 + 5 y=110 - h width="30" height=h>
                        <title>{format!("{hour}: {n} tickets")}</title>
                    </rect>
                    <text x=i * 40 + 20 y="125" text-anchor="middle">
                        {n.to_string()}
                    </text>
                </g>
            }
        })
        .collect_view();
    let back = format!("/admin/showtimes/{}", data.showtime.id);
    let orders = data
        .orders
        .into_iter()
        .map(|order| order_row(order, back.clone()))
        .collect_view();
    let blocks = data
        .blocks
        .iter()
        .map(|(seat, reason)| view! { <li>{format!("{seat}: {reason}")}</li> })
        .collect_view();
    let csv = format!("/admin/reports/orders.csv?showtime={}", data.showtime.id);
    view! {
        <dl class="staff-counts">
            <div>
                <dt>"Tickets sold"</dt>
                <dd id="count-sold">{data.sold}</dd>
            </div>
            <div>
                <dt>"Blocked"</dt>
                <dd id="count-blocked">{data.blocked}</dd>
            </div>
            <div>
                <dt>"Revenue"</dt>
                <dd id="revenue">{format_cents(data.revenue_cents)}</dd>
            </div>
            <div>
                <dt>"Waiting line"</dt>
                <dd id="line-length">{data.line_length}</dd>
            </div>
        </dl>
        {data
            .showtime
            .cancelled
            .then(|| view! { <p class="notice error">"Cancelled: not on sale."</p> })}
        <figure class="sales-chart">
            <svg viewBox=format!("0 0 {width} 130") role="img" aria-label="Tickets sold per hour">
                {bars}
            </svg>
            <figcaption>"Tickets sold per hour"</figcaption>
        </figure>
        <h2>"Blocked seats"</h2>
        <ul id="blocks">{blocks}</ul>
        <h2>"Orders"</h2>
        <a href=csv rel="external">
            "Orders as CSV"
        </a>
        <table class="staff-table" id="orders">
            <thead>
                <tr>
                    <th scope="col">"Order"</th>
                    <th scope="col">"Seats"</th>
                    <th scope="col">"Total"</th>
                    <th scope="col">"Paid by"</th>
                    <th scope="col">"When"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Refund"</th>
                </tr>
            </thead>
            <tbody>{orders}</tbody>
        </table>
    }
}

fn order_row(order: OrderLine, back: String) -> impl IntoView {
    let refundable = order.status == "fulfilled";
    let code = order.code.clone();
    let data_order = order.code.clone();
    view! {
        <tr data-order=data_order>
            <td>{order.code}</td>
            <td>{order.seats}</td>
            <td>{format_cents(order.total_cents)}</td>
            <td>{order.payment}</td>
            <td>{order.created_at}</td>
            <td class="order-status">{order.status}</td>
            <td>
                {refundable
                    .then(|| {
                        view! {
                            <form method="post" action="/api/admin/box/refund" class="inline">
                                <input type="hidden" name="code" value=code.clone() />
                                <input type="hidden" name="back" value=back.clone() />
                                <button type="submit" aria-label=format!("Refund order {code}")>
                                    "Refund"
                                </button>
                            </form>
                        }
                    })}
            </td>
        </tr>
    }
}

/// The showtime's box office forms.
#[component]
fn BoxOffice(showtime_id: i64) -> impl IntoView {
    let hidden =
        move || view! { <input type="hidden" name="showtime_id" value=showtime_id.to_string() /> };
    view! {
        <section class="box-office" aria-labelledby="box-h">
            <h2 id="box-h">"Box office"</h2>
            <form method="post" action="/api/admin/box/sell" class="staff-form" id="sell">
                <h3>"Sell at the counter (cash)"</h3>
                {hidden()}
                <label>"Seats (e.g. C7 C8)" <input name="seats" required /></label>
                <label>"Name (optional)" <input name="name" /></label>
                <label>"Email (optional)" <input name="email" type="email" /></label>
                <button type="submit">"Sell"</button>
            </form>
            <form method="post" action="/api/admin/box/block" class="staff-form" id="block">
                <h3>"Block seats"</h3>
                {hidden()}
                <label>"Seats" <input name="seats" required /></label>
                <label>
                    "Why" <input name="reason" required maxlength="200" value="House seats" />
                </label>
                <button type="submit">"Block"</button>
            </form>
            <form method="post" action="/api/admin/box/unblock" class="staff-form" id="unblock">
                <h3>"Unblock seats"</h3>
                {hidden()}
                <label>"Seats" <input name="seats" required /></label>
                <button type="submit">"Unblock"</button>
            </form>
            <form
                method="post"
                action="/api/admin/catalog/showtime/cancel"
                class="staff-form"
                id="cancel"
            >
                <h3>"Cancel the showtime (admins)"</h3>
                {hidden()}
                <button type="submit">"Cancel this showtime"</button>
            </form>
        </section>
    }
}
