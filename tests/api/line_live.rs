//! The waiting line over the live feed: each person sees their own place move and their own
//! offer arrive, and nobody sees anyone else's.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::line::full_house;
use crate::live::{SOON, Socket, change, next, watch};

/// The next message that is not a seat delta.
async fn next_line_message(socket: &mut Socket) -> Value {
    loop {
        let message = next(socket, SOON).await;
        if message["type"] != "delta" {
            return message;
        }
    }
}

/// Nothing but seat deltas arrive for a while.
async fn no_line_message(socket: &mut Socket) {
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_millis(300), futures::StreamExt::next(socket)).await
    {
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value["type"], "delta", "unexpected {value}");
        }
    }
}

#[tokio::test]
async fn places_and_offers_reach_only_the_person_concerned() {
    let app = spawn_app().await;
    let (showtime, seats, owner) = full_house(&app).await;
    let (b, c) = (app.session(), app.session());
    let mut owner_feed = watch(&app, &owner, showtime).await;
    let mut b_feed = watch(&app, &b, showtime).await;
    let mut c_feed = watch(&app, &c, showtime).await;
    for feed in [&mut owner_feed, &mut b_feed, &mut c_feed] {
        let snapshot = next(feed, SOON).await;
        assert_eq!(snapshot["type"], "snapshot");
        assert_eq!(snapshot["state"]["line"], Value::Null);
    }

    assert_eq!(b.join(showtime, 2).await.0, 200);
    let place = json!({ "showtime_id": showtime, "position": 1, "party": 2 });
    assert_eq!(
        next(&mut b_feed, SOON).await,
        json!({ "type": "line", "place": place })
    );
    assert_eq!(c.join(showtime, 2).await.0, 200);
    let c_place = json!({ "showtime_id": showtime, "position": 2, "party": 2 });
    assert_eq!(
        next(&mut c_feed, SOON).await,
        json!({ "type": "line", "place": c_place })
    );
    // B's place did not move: B hears nothing, nor does the owner.
    no_line_message(&mut b_feed).await;
    no_line_message(&mut owner_feed).await;

    // Two seats free: B's offer arrives as a delta making them B's, then the offer itself,
    // then B's place in line is gone. C moves up. Nobody else hears of the offer.
    assert_eq!(owner.release(showtime, &seats[2..4]).await.0, 200);
    let delta = next(&mut b_feed, SOON).await;
    assert_eq!(delta["type"], "delta");
    assert_eq!(
        delta["changes"],
        json!([change(seats[2], "available"), change(seats[3], "available")])
    );
    let offered = next(&mut b_feed, SOON).await;
    assert_eq!(offered["type"], "delta");
    assert_eq!(
        offered["changes"],
        json!([change(seats[2], "mine"), change(seats[3], "mine")])
    );
    let offer = next(&mut b_feed, SOON).await;
    assert_eq!(offer["type"], "offer");
    assert_eq!(offer["seat_ids"], json!(seats[2..4]));
    let left = offer["expires_in_ms"].as_i64().unwrap();
    assert!((115_000..=120_000).contains(&left), "{left}");
    assert_eq!(
        next(&mut b_feed, SOON).await,
        json!({ "type": "line", "place": null })
    );

    let c_moved = json!({ "showtime_id": showtime, "position": 1, "party": 2 });
    assert_eq!(
        next_line_message(&mut c_feed).await,
        json!({ "type": "line", "place": c_moved })
    );
    no_line_message(&mut c_feed).await;
    no_line_message(&mut owner_feed).await;

    // A reconnect (or reload) finds the offer and the place in the snapshot.
    let mut b_again = watch(&app, &b, showtime).await;
    let snapshot = next(&mut b_again, SOON).await;
    assert_eq!(snapshot["state"]["offer"], true);
    assert_eq!(snapshot["state"]["hold"]["seat_ids"], json!(seats[2..4]));
    let mut c_again = watch(&app, &c, showtime).await;
    assert_eq!(next(&mut c_again, SOON).await["state"]["line"], c_moved);
}
