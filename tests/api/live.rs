//! The live seat feed over real WebSockets, fed by real Redis pub/sub.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use marquee::app::booking::CLOSE_UNKNOWN_SHOWTIME;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::helpers::{Session, TestApp, spawn_app, spawn_app_with};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The handshake request of `showtime`'s feed, with `session`'s cookie.
pub fn feed_request(app: &TestApp, session: &Session, showtime: i64) -> Request {
    let url = format!(
        "{}/ws/showtimes/{showtime}",
        app.address.replace("http", "ws")
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", session.cookie().parse().unwrap());
    request
}

/// Opens the feed as `session` (its cookie), after making sure it has one.
pub async fn watch(app: &TestApp, session: &Session, showtime: i64) -> Socket {
    session.seat_map(showtime).await;
    let request = feed_request(app, session, showtime);
    connect_async(request).await.expect("websocket connects").0
}

/// The next JSON message, within `within`.
pub async fn next(socket: &mut Socket, within: Duration) -> Value {
    loop {
        let message = tokio::time::timeout(within, socket.next())
            .await
            .expect("a message in time")
            .expect("socket open")
            .expect("no socket error");
        match message {
            Message::Text(text) => {
                assert!(
                    !text.contains("holder"),
                    "no holder ids on the wire: {text}"
                );
                return serde_json::from_str(&text).unwrap();
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

pub const SOON: Duration = Duration::from_secs(1);

pub fn change(seat: i64, state: &str) -> Value {
    json!({ "seat": seat, "state": state })
}

#[tokio::test]
async fn snapshot_then_deltas_with_mine_for_each_side() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (a, b) = (app.session(), app.session());
    let mut a_feed = watch(&app, &a, showtime).await;
    let mut b_feed = watch(&app, &b, showtime).await;

    let a_snapshot = next(&mut a_feed, SOON).await;
    assert_eq!(a_snapshot["type"], "snapshot");
    let version = a_snapshot["state"]["version"].as_u64().unwrap();
    assert_eq!(next(&mut b_feed, SOON).await["type"], "snapshot");

    assert_eq!(a.hold(showtime, &[seats[0].0]).await.0, 200);
    let mine = next(&mut a_feed, SOON).await;
    assert_eq!(mine["type"], "delta");
    assert_eq!(mine["version"], version + 1);
    assert_eq!(mine["changes"], json!([change(seats[0].0, "mine")]));
    assert!(mine["hold_expires_in_ms"].as_i64().unwrap() > 290_000);
    let theirs = next(&mut b_feed, SOON).await;
    assert_eq!(theirs["changes"], json!([change(seats[0].0, "held")]));
    assert!(theirs.get("hold_expires_in_ms").is_none());

    assert_eq!(a.release(showtime, &[seats[0].0]).await.0, 200);
    let freed = next(&mut b_feed, SOON).await;
    assert_eq!(freed["version"], version + 2);
    assert_eq!(freed["changes"], json!([change(seats[0].0, "available")]));

    a.hold(showtime, &[seats[1].0]).await;
    a.buy(showtime, &[seats[1].0], "4242424242424242", "live-buy-0001")
        .await;
    let held = next(&mut b_feed, SOON).await;
    assert_eq!(held["changes"], json!([change(seats[1].0, "held")]));
    let sold = next(&mut b_feed, SOON).await;
    assert_eq!(sold["changes"], json!([change(seats[1].0, "sold")]));
}

#[tokio::test]
async fn expiry_reaches_viewers() {
    let app = spawn_app_with(&[("HOLD_TTL_SECS", "1")]).await;
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let seats = app.seats_of(showtime).await;
    let (a, b) = (app.session(), app.session());
    let mut feed = watch(&app, &b, showtime).await;
    next(&mut feed, SOON).await;
    a.hold(showtime, &[seats[3].0]).await;
    assert_eq!(
        next(&mut feed, SOON).await["changes"],
        json!([change(seats[3].0, "held")])
    );
    // TTL 1 s, sweeper every 100 ms.
    let expired = next(&mut feed, Duration::from_secs(3)).await;
    assert_eq!(expired["changes"], json!([change(seats[3].0, "available")]));
}

#[tokio::test]
async fn versions_arrive_without_gaps() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (a, viewer) = (app.session(), app.session());
    let mut feed = watch(&app, &viewer, showtime).await;
    let mut version = next(&mut feed, SOON).await["state"]["version"]
        .as_u64()
        .unwrap();
    for &(seat, _) in &seats[..10] {
        a.hold(showtime, &[seat]).await;
        a.release(showtime, &[seat]).await;
    }
    for _ in 0..20 {
        let delta = next(&mut feed, SOON).await;
        assert_eq!(delta["type"], "delta");
        assert_eq!(delta["version"], version + 1, "{delta}");
        version += 1;
    }
}

#[tokio::test]
async fn a_change_on_one_instance_reaches_a_socket_on_another() {
    let app = spawn_app().await;
    let other = app.second_instance().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let viewer = other.session();
    let mut feed = watch(&other, &viewer, showtime).await;
    next(&mut feed, SOON).await;

    let a = app.session();
    assert_eq!(a.hold(showtime, &[seats[4].0]).await.0, 200);
    let delta = next(&mut feed, SOON).await;
    assert_eq!(delta["changes"], json!([change(seats[4].0, "held")]));
    // And the other way round, with the holder watching on the second instance.
    let mut own = watch(&other, &a, showtime).await;
    next(&mut own, SOON).await;
    a.release(showtime, &[seats[4].0]).await;
    assert_eq!(
        next(&mut own, SOON).await["changes"],
        json!([change(seats[4].0, "available")])
    );
}

#[tokio::test]
async fn a_lost_event_turns_into_a_fresh_snapshot() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (a, viewer) = (app.session(), app.session());
    let mut feed = watch(&app, &viewer, showtime).await;
    next(&mut feed, SOON).await;

    // A change whose event never arrives (Redis pub/sub is at-most-once): the seat is held,
    // the version moves, nothing is published.
    let mut redis = app.redis.clone();
    let keys = app.keys(showtime);
    let _: () = redis::cmd("SET")
        .arg(keys.seat(seats[7].0))
        .arg("someone-else")
        .arg("EX")
        .arg(300)
        .query_async(&mut redis)
        .await
        .unwrap();
    let _: i64 = redis::cmd("INCR")
        .arg(keys.version())
        .query_async(&mut redis)
        .await
        .unwrap();

    // The next event does not follow on: the socket gets the whole, exact picture instead.
    a.hold(showtime, &[seats[8].0]).await;
    let resync = next(&mut feed, SOON).await;
    assert_eq!(resync["type"], "snapshot", "{resync}");
    let mut held: Vec<i64> = serde_json::from_value(resync["state"]["held"].clone()).unwrap();
    held.sort_unstable();
    assert_eq!(held, vec![seats[7].0, seats[8].0]);
}

#[tokio::test]
async fn clients_may_ask_for_a_snapshot_and_bad_input_is_ignored() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let viewer = app.session();
    let mut feed = watch(&app, &viewer, showtime).await;
    next(&mut feed, SOON).await;
    feed.send(Message::Text("this is not json".into()))
        .await
        .unwrap();
    feed.send(Message::Text(r#"{"type":"nonsense"}"#.into()))
        .await
        .unwrap();
    feed.send(Message::Text(r#"{"type":"resync"}"#.into()))
        .await
        .unwrap();
    assert_eq!(next(&mut feed, SOON).await["type"], "snapshot");
}

#[tokio::test]
async fn an_unknown_showtime_is_closed_with_a_reason() {
    let app = spawn_app().await;
    for id in ["987654321", "not-a-number"] {
        let url = format!("{}/ws/showtimes/{id}", app.address.replace("http", "ws"));
        let (mut socket, _) = connect_async(url).await.unwrap();
        match tokio::time::timeout(SOON, socket.next()).await.unwrap() {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), CLOSE_UNKNOWN_SHOWTIME);
                assert_eq!(frame.reason.as_str(), "unknown showtime");
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}
