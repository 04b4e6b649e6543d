//! The counter: cash sales (groups, seats named without ambiguity), check-in, a cancelled
//! showtime's slot and tickets, and a browser whose staff session ended.

use crate::helpers::spawn_app;
use crate::staff::{form, staff};
use crate::staff_box::small_show;
use marquee::server::staff::Role;

#[tokio::test]
async fn a_counter_sale_makes_a_cash_order_whose_tickets_check_in_once() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    let clerk = staff(&app, Role::BoxOffice).await;
    let (showtime, _, _) = small_show(&app, &admin, "A: ssss\nB: wc..").await;
    let sid = showtime.to_string();
    let (status, body) = form(
        &clerk,
        "box/sell",
        &[("showtime_id", &sid), ("seats", "B2")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("companion_needs_wheelchair"))
    );
    let (status, body) = form(
        &clerk,
        "box/sell",
        &[("showtime_id", &sid), ("seats", "Z9")],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_input")));
    let (status, sold) = form(
        &clerk,
        "box/sell",
        &[
            ("showtime_id", &sid),
            ("seats", "A1 A2"),
            ("name", "Walk-in"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{sold}");
    let code = sold["location"]
        .as_str()
        .unwrap()
        .trim_start_matches("/orders/")
        .to_string();
    let (status, order) = app.session().get(&format!("/api/order?code={code}")).await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["card_last4"], "");
    assert_eq!(order["total_cents"], 2000);
    // Sold for everyone, on Redis and in Postgres.
    assert_eq!(app.redis_sold(showtime).await.len(), 2);
    assert_eq!(app.postgres_sold(showtime).await.len(), 2);
    let (status, _) = form(
        &clerk,
        "box/sell",
        &[("showtime_id", &sid), ("seats", "A2 A3")],
    )
    .await;
    assert_eq!(status, 409);
    let token = order["seats"][0]["ticket"].as_str().unwrap().to_string();
    let (status, first) = form(&clerk, "box/check-in", &[("ticket", &token)]).await;
    assert_eq!(status, 200, "{first}");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .starts_with("Admit one: seat A1"),
        "{first}"
    );
    let (status, second) = form(&clerk, "box/check-in", &[("ticket", &token)]).await;
    assert_eq!(status, 409);
    assert!(
        second["message"]
            .as_str()
            .unwrap()
            .contains("checked in already"),
        "{second}"
    );
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let (status, _) = form(&clerk, "box/check-in", &[("ticket", &forged)]).await;
    assert_eq!(status, 404);
    // Refunded: the ticket no longer admits.
    assert_eq!(form(&clerk, "box/refund", &[("code", &code)]).await.0, 200);
    let other = order["seats"][1]["ticket"].as_str().unwrap();
    let (status, body) = form(&clerk, "box/check-in", &[("ticket", other)]).await;
    assert_eq!(status, 409);
    assert!(
        body["message"].as_str().unwrap().contains("refunded"),
        "{body}"
    );
}

#[tokio::test]
async fn the_counter_sells_groups_and_names_seats_unambiguously() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    let clerk = staff(&app, Role::BoxOffice).await;
    let (showtime, _, _) = small_show(&app, &admin, "1: ssssssssssss\n11: ssssssssssss").await;
    let sid = showtime.to_string();
    // "112" is row 1 seat 12 and row 11 seat 2.
    let (status, body) = form(
        &clerk,
        "box/sell",
        &[("showtime_id", &sid), ("seats", "112")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("more than one seat"),
        "{body}"
    );
    // Twelve seats at once, more than one visitor may hold (10), for a school group.
    let group = "11-1 11-2 11-3 11-4 11-5 11-6 11-7 11-8 11-9 11-10 11-11 11-12";
    let (status, sold) = form(
        &clerk,
        "box/sell",
        &[("showtime_id", &sid), ("seats", group)],
    )
    .await;
    assert_eq!(status, 200, "{sold}");
    assert_eq!(app.postgres_sold(showtime).await.len(), 12);
    // And again, from the same counter: the online per-address cap does not apply.
    let (status, sold) = form(
        &clerk,
        "box/sell",
        &[
            ("showtime_id", &sid),
            (
                "seats",
                "1-1 1-2 1-3 1-4 1-5 1-6 1-7 1-8 1-9 1-10 1-11 1-12",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{sold}");
    assert_eq!(app.redis_sold(showtime).await.len(), 24);
}

#[tokio::test]
async fn a_cancelled_showtime_reopens_its_slot_and_its_tickets_do_not_admit() {
    let app = spawn_app().await;
    let admin = staff(&app, Role::Admin).await;
    let (showtime, room, _) = small_show(&app, &admin, "A: ss").await;
    let sid = showtime.to_string();
    let (status, sold) = form(
        &admin,
        "box/sell",
        &[("showtime_id", &sid), ("seats", "A1")],
    )
    .await;
    assert_eq!(status, 200, "{sold}");
    let code = sold["location"]
        .as_str()
        .unwrap()
        .trim_start_matches("/orders/")
        .to_string();
    let (_, order) = app.session().get(&format!("/api/order?code={code}")).await;
    let token = order["seats"][0]["ticket"].as_str().unwrap().to_string();
    assert_eq!(
        form(&admin, "catalog/showtime/cancel", &[("showtime_id", &sid)])
            .await
            .0,
        200
    );
    let (status, body) = form(&admin, "box/check-in", &[("ticket", &token)]).await;
    assert_eq!(status, 409);
    assert!(
        body["message"].as_str().unwrap().contains("cancelled"),
        "{body}"
    );
    // The same room at the same time again: the cancelled showtime no longer holds the slot.
    let (movie, at): (i64, String) = sqlx::query_as(
        "SELECT movie_id, to_char(starts_at AT TIME ZONE t.timezone, 'YYYY-MM-DD\"T\"HH24:MI')
           FROM showtimes s JOIN auditoriums a ON a.id = s.auditorium_id
           JOIN theaters t ON t.id = a.theater_id WHERE s.id = $1",
    )
    .bind(showtime)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (status, again) = form(
        &admin,
        "catalog/showtime",
        &[
            ("movie_id", &movie.to_string()),
            ("auditorium_id", &room.to_string()),
            ("starts_at", &at),
            ("price_standard", "10"),
            ("price_premium", "10"),
            ("price_wheelchair", "10"),
            ("price_companion", "10"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{again}");
}

#[tokio::test]
async fn a_browser_whose_staff_session_ended_is_sent_to_sign_in_and_back() {
    let app = spawn_app().await;
    let visitor = app.session();
    let response = visitor
        .client
        .post(app.url("/api/admin/box/refund"))
        .header("accept", "text/html")
        .header("referer", app.url("/admin/showtimes/7"))
        .form(&[("code", "ABC")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/admin/login?next=/admin/showtimes/7"
    );
    let clerk = staff(&app, Role::BoxOffice).await;
    let response = clerk
        .client
        .post(app.url("/api/admin/catalog/showtime/cancel"))
        .header("accept", "text/html")
        .header("referer", app.url("/admin/showtimes/7"))
        .form(&[("showtime_id", "7")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/admin/showtimes/7");
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("marquee_staff_flash=")
    );
}
