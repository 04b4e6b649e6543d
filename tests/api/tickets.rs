//! Tickets: signed tokens per ticket (verified, never forged), their QR codes, the calendar
//! file, and "My bookings".

use serde_json::Value;

use crate::helpers::{Session, TestApp, spawn_app};

const CARD: &str = "4242 4242 4242 4242";

/// Buys two seats of a Studio 2 showtime; the order as answered.
async fn bought(app: &TestApp, buyer: &Session, key: &str) -> (i64, Value) {
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats: Vec<i64> = app.seats_of(showtime).await.iter().map(|s| s.0).collect();
    let taken = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tickets")
        .fetch_one(&app.db)
        .await
        .unwrap() as usize;
    let pick = &seats[taken..taken + 2];
    assert_eq!(buyer.hold(showtime, pick).await.0, 200);
    let (status, order) = buyer.buy(showtime, pick, CARD, key).await;
    assert_eq!(status, 200, "{order}");
    (showtime, order)
}

async fn verify(session: &Session, token: &str) -> (u16, Value) {
    let token: String = url_escape(token);
    session
        .get(&format!("/api/tickets/verify?token={token}"))
        .await
}

fn url_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' => c.to_string(),
            other => format!("%{:02X}", other as u32),
        })
        .collect()
}

#[tokio::test]
async fn every_ticket_has_a_token_that_verifies_and_a_tampered_one_does_not() {
    let app = spawn_app().await;
    let buyer = app.session();
    let (showtime, order) = bought(&app, &buyer, "tickets-0001").await;
    let seats = order["seats"].as_array().unwrap();
    assert_eq!(seats.len(), 2);
    let doorman = app.session();
    for seat in seats {
        let token = seat["ticket"].as_str().unwrap();
        assert!(token.starts_with("t1."), "{token}");
        let (status, check) = verify(&doorman, token).await;
        assert_eq!(status, 200, "{check}");
        assert_eq!(check["valid"], true);
        assert_eq!(check["status"], "valid");
        assert_eq!(check["seat"], seat["name"]);
        assert_eq!(check["order_code"], order["code"]);
        assert_eq!(check["showtime_id"], showtime);
    }
    // One hex digit changed, another ticket's id under this signature, a stranger's guess:
    // not genuine. Garbage: not a token at all.
    let token = seats[0]["ticket"].as_str().unwrap();
    let last = token.chars().last().unwrap();
    let flipped = format!(
        "{}{}",
        &token[..token.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    assert_eq!(verify(&doorman, &flipped).await.0, 404);
    let (_, other_sig) = seats[1]["ticket"]
        .as_str()
        .unwrap()
        .rsplit_once('.')
        .unwrap();
    let (head, _) = token.rsplit_once('.').unwrap();
    assert_eq!(
        verify(&doorman, &format!("{head}.{other_sig}")).await.0,
        404
    );
    assert_eq!(
        verify(&doorman, "t1.1.00000000000000000000000000000000")
            .await
            .0,
        404
    );
    for garbage in [
        "",
        "hello",
        "t2.1.00",
        "t1.x.00000000000000000000000000000000",
    ] {
        assert_eq!(verify(&doorman, garbage).await.0, 400, "{garbage:?}");
    }

    // Another instance (same database, its own process state) verifies it too: the key is
    // shared through Postgres.
    let second = app.second_instance().await;
    let (status, check) = verify(&second.session(), token).await;
    assert_eq!((status, check["valid"].clone()), (200, Value::Bool(true)));

    // A refunded order's tickets no longer admit, and say why.
    sqlx::query("UPDATE orders SET status = 'refunded' WHERE code = $1")
        .bind(order["code"].as_str().unwrap())
        .execute(&app.db)
        .await
        .unwrap();
    let (status, check) = verify(&doorman, token).await;
    assert_eq!(status, 200);
    assert_eq!(check["valid"], false);
    assert_eq!(check["status"], "refunded");
}

#[tokio::test]
async fn a_ticket_has_a_qr_code_and_an_order_a_calendar_file() {
    let app = spawn_app().await;
    let buyer = app.session();
    let (showtime, order) = bought(&app, &buyer, "tickets-0002").await;
    let token = order["seats"][0]["ticket"].as_str().unwrap();

    let response = app.get(&format!("/tickets/{token}/qr.svg")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = response.text().await.unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    let forged = format!("{}0", &token[..token.len() - 1]);
    let forged = if forged == token {
        format!("{}1", &token[..token.len() - 1])
    } else {
        forged
    };
    assert_eq!(
        app.get(&format!("/tickets/{forged}/qr.svg")).await.status(),
        404
    );

    let code = order["code"].as_str().unwrap();
    let response = app.get(&format!("/orders/{code}/calendar.ics")).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = response.text().await.unwrap();
    let starts: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT starts_at FROM showtimes WHERE id = $1")
            .bind(showtime)
            .fetch_one(&app.db)
            .await
            .unwrap();
    for line in [
        "BEGIN:VCALENDAR",
        "BEGIN:VEVENT",
        &format!("DTSTART:{}", starts.format("%Y%m%dT%H%M%SZ")),
        &format!("SUMMARY:{}", order["movie_title"].as_str().unwrap()),
        &format!("UID:order-{code}@marquee"),
        "END:VCALENDAR",
    ] {
        assert!(ics.contains(&format!("{line}\r\n")), "{line} in {ics}");
    }
    assert_eq!(
        app.get("/orders/NOSUCHORDER1/calendar.ics").await.status(),
        404
    );
}

#[tokio::test]
async fn my_bookings_lists_this_browsers_orders_only() {
    let app = spawn_app().await;
    let buyer = app.session();
    let (_, first) = bought(&app, &buyer, "tickets-0003").await;
    let (_, second) = bought(&app, &buyer, "tickets-0004").await;
    let (status, mine) = buyer.get("/api/my_orders").await;
    assert_eq!(status, 200, "{mine}");
    let codes: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            second["code"].as_str().unwrap(),
            first["code"].as_str().unwrap()
        ],
        "newest first"
    );
    assert_eq!(mine[0]["seats"].as_array().unwrap().len(), 2);
    let (status, theirs) = app.session().get("/api/my_orders").await;
    assert_eq!((status, theirs), (200, Value::Array(Vec::new())));
}
