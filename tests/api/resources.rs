//! Slow and greedy clients: header and request timeouts, bounded shutdown, and the limits on
//! live sockets (how many, how big, how often, how slow).

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use marquee::app::booking::CLOSE_SHOWTIME_OVER;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, client_async, connect_async};

use crate::helpers::{Session, TestApp, spawn_app, spawn_app_with, spawn_stoppable_app_with};
use crate::live::{SOON, Socket, feed_request, next, watch};

/// Generous: these tests run on a loaded two-core machine.
const PATIENCE: Duration = Duration::from_secs(15);

fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_string()
}

/// A client that sends `GET / HTTP/1.1` and then one header byte every half second; returns
/// once the server has closed the connection.
async fn trickle_headers(host: String) {
    let stream = TcpStream::connect(host).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let mut buffer = [0u8; 1024];
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            read = reader.read(&mut buffer) => match read {
                Ok(0) | Err(_) => return,
                // Whatever the server says before closing (hyper says nothing).
                Ok(_) => continue,
            },
            _ = tick.tick() => {
                if writer.write_all(b"X").await.is_err() {
                    return;
                }
            }
        }
    }
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let app = spawn_app_with(&[("HEADER_READ_TIMEOUT_SECS", "1")]).await;
    tokio::time::timeout(PATIENCE, trickle_headers(host(&app)))
        .await
        .expect("the server closes a connection whose headers do not arrive in time");
    // Ordinary requests are unaffected.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn a_request_not_answered_in_time_gets_a_503() {
    let app = spawn_app_with(&[("REQUEST_TIMEOUT_SECS", "1")]).await;
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    // A body that never finishes arriving keeps the handler waiting.
    let head = "POST /api/hold_seats HTTP/1.1\r\nHost: localhost\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"showtime_id\"";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(PATIENCE, async {
        while !reply.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => reply.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "an answer in time");
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
}

#[tokio::test]
async fn shutdown_closes_live_sockets_and_does_not_wait_for_slow_clients() {
    let stoppable = spawn_stoppable_app_with(&[
        // The slow client would be left alone for a minute; the grace period is shorter.
        ("HEADER_READ_TIMEOUT_SECS", "60"),
        ("SHUTDOWN_GRACE_SECS", "2"),
    ])
    .await;
    let app = &stoppable.app;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let viewer = app.session();
    let mut feed = watch(app, &viewer, showtime).await;
    assert_eq!(next(&mut feed, SOON * 5).await["type"], "snapshot");
    let slow = tokio::spawn(trickle_headers(host(app)));
    // Let the slow client get going.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let asked = Instant::now();
    stoppable.stop.send(()).unwrap();
    tokio::time::timeout(PATIENCE, stoppable.stopped)
        .await
        .expect("shutdown completes despite a slow client and an open socket")
        .unwrap();
    assert!(asked.elapsed() < PATIENCE);
    // The socket was told why it closes.
    match tokio::time::timeout(PATIENCE, close_frame(&mut feed)).await {
        Ok(Some(code)) => assert_eq!(code, 1001),
        other => panic!("expected a close frame, got {other:?}"),
    }
    tokio::time::timeout(PATIENCE, slow)
        .await
        .expect("the slow connection is closed")
        .unwrap();
}

/// The code of the close frame the socket ends with (skipping other messages).
async fn close_frame<S>(socket: &mut WebSocketStream<S>) -> Option<u16>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(message) = socket.next().await {
        match message {
            Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
    None
}

/// Opens the feed as `session`, through a trusted proxy that says the client is `ip`.
async fn watch_as(
    app: &TestApp,
    session: &Session,
    showtime: i64,
    ip: &str,
) -> Result<Socket, tungstenite::Error> {
    let mut request = feed_request(app, session, showtime);
    request
        .headers_mut()
        .insert("x-forwarded-for", ip.parse().unwrap());
    connect_async(request).await.map(|(socket, _)| socket)
}

#[tokio::test]
async fn one_address_may_open_only_so_many_sockets_and_others_still_can() {
    let app = spawn_app_with(&[("WS_MAX_PER_IP", "2"), ("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let viewer = app.session();
    viewer.seat_map(showtime).await;
    let greedy = "203.0.113.7";
    let mut first = watch_as(&app, &viewer, showtime, greedy).await.unwrap();
    let mut second = watch_as(&app, &viewer, showtime, greedy).await.unwrap();
    next(&mut first, SOON * 5).await;
    next(&mut second, SOON * 5).await;

    match watch_as(&app, &viewer, showtime, greedy).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["error"], "rate_limited", "{body}");
        }
        Err(other) => panic!("expected a 429, got {other}"),
        Ok(_) => panic!("a third socket from one address was let in"),
    }

    // Someone else is not affected.
    let mut other = watch_as(&app, &viewer, showtime, "198.51.100.9")
        .await
        .unwrap();
    assert_eq!(next(&mut other, SOON * 5).await["type"], "snapshot");

    // A closed socket gives its place back.
    first.close(None).await.unwrap();
    drop(first);
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(mut again) = watch_as(&app, &viewer, showtime, greedy).await {
            assert_eq!(next(&mut again, SOON * 5).await["type"], "snapshot");
            break;
        }
        assert!(Instant::now() < deadline, "the place was never given back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_resync_flood_gets_few_snapshots_and_slows_no_one_else() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (flooder, bystander, holder) = (app.session(), app.session(), app.session());
    let mut flood = watch(&app, &flooder, showtime).await;
    let mut calm = watch(&app, &bystander, showtime).await;
    next(&mut flood, SOON * 5).await;
    next(&mut calm, SOON * 5).await;

    for _ in 0..200 {
        flood
            .send(Message::Text(r#"{"type":"resync"}"#.into()))
            .await
            .unwrap();
    }
    let seat = seats[2].0;
    assert_eq!(holder.hold(showtime, &[seat]).await.0, 200);
    let delta = next(&mut calm, PATIENCE).await;
    assert_eq!(delta["changes"], json!([{ "seat": seat, "state": "held" }]));

    // Everything the flooder gets in the next few seconds.
    let mut snapshots = 0;
    let mut sees_the_hold = false;
    let until = Instant::now() + Duration::from_secs(4);
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(until.into(), flood.next()).await {
        let Message::Text(text) = message else {
            continue;
        };
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["type"] == "snapshot" {
            snapshots += 1;
            sees_the_hold = message["state"]["held"]
                .as_array()
                .unwrap()
                .contains(&json!(seat));
        } else if message["changes"] == json!([{ "seat": seat, "state": "held" }]) {
            sees_the_hold = true;
        }
    }
    // One at once, one for the rest a second later; a slow machine may split the flood.
    assert!((1..=5).contains(&snapshots), "{snapshots} snapshots");
    assert!(sees_the_hold, "the flooder's map ends up right");
}

#[tokio::test]
async fn an_oversized_message_closes_the_socket_with_1009() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let viewer = app.session();
    let mut feed = watch(&app, &viewer, showtime).await;
    next(&mut feed, SOON * 5).await;
    let big = format!(
        r#"{{"type":"resync","padding":"{}"}}"#,
        "x".repeat(8 * 1024)
    );
    feed.send(Message::Text(big.into())).await.unwrap();
    let code = tokio::time::timeout(PATIENCE, close_frame(&mut feed))
        .await
        .unwrap();
    assert_eq!(code, Some(1009));
}

#[tokio::test]
async fn a_showtime_that_has_started_is_refused_for_good() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let started = app.started_copy_of(showtime).await;
    let url = format!(
        "{}/ws/showtimes/{started}",
        app.address.replace("http", "ws")
    );
    let (mut socket, _) = connect_async(url).await.unwrap();
    match tokio::time::timeout(PATIENCE, socket.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), CLOSE_SHOWTIME_OVER);
            assert_eq!(frame.reason.as_str(), "showtime over");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// A client that reads its snapshot and then nothing: once the buffers between it and the
/// server are full, a send waits; after `WS_SEND_TIMEOUT_SECS` the server gives up on it.
#[tokio::test]
async fn a_client_that_stops_reading_is_closed_after_the_send_timeout() {
    let app = spawn_app_with(&[("WS_SEND_TIMEOUT_SECS", "1")]).await;
    let (showtime, _) = app.showtime_in("Grand Hall").await;
    let viewer = app.session();
    viewer.seat_map(showtime).await;

    // A small receive buffer, so that the server's sends back up quickly.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(host(&app).parse().unwrap()).await.unwrap();
    let request = feed_request(&app, &viewer, showtime);
    let (mut feed, _) = client_async(request, MaybeTlsStream::Plain(stream))
        .await
        .unwrap();
    let snapshot = next(&mut feed, SOON * 5).await;
    let version = snapshot["state"]["version"].as_u64().unwrap();

    // Far more than the socket buffers hold: big events straight onto the showtime's
    // channel, in order, as the scripts would publish them.
    let mut redis = app.redis.clone();
    let channel = app.keys(showtime).channel();
    let seats: Vec<i64> = (1..=1000).collect();
    for i in 1..=400u64 {
        let event = json!({
            "version": version + i, "kind": "held", "seats": seats,
            "holder": "someone-else", "expires_at": 300_000, "now": 0,
        });
        let _: i64 = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(event.to_string())
            .query_async(&mut redis)
            .await
            .unwrap();
    }
    // Well past the send timeout, then read: the buffered messages, then the end. A socket
    // still open would instead go quiet (no pings for 20 s).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::time::timeout(Duration::from_secs(10), feed.next()).await {
            Ok(Some(Ok(_))) => assert!(Instant::now() < deadline, "still open after a minute"),
            Ok(None) | Ok(Some(Err(_))) => break,
            Err(_) => panic!("the server kept a client that stopped reading"),
        }
    }
}

#[tokio::test]
async fn socket_connects_are_budgeted_per_address_across_instances() {
    let limits = [
        ("RATE_LIMITS", "true"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("RATE_SOCKETS_PER_IP", "2/60"),
    ];
    let app = spawn_app_with(&limits).await;
    let other = app.second_instance_with(&limits).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let viewer = app.session();
    viewer.seat_map(showtime).await;
    let ip = "203.0.113.77";
    // One connect on each instance, then both refuse: the budget is shared, not per process.
    let mut first = watch_as(&app, &viewer, showtime, ip).await.unwrap();
    let mut second = watch_as(&other, &viewer, showtime, ip).await.unwrap();
    next(&mut first, SOON * 5).await;
    next(&mut second, SOON * 5).await;
    for instance in [&app, &other] {
        match watch_as(instance, &viewer, showtime, ip).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 429);
                assert!(response.headers().contains_key("retry-after"));
            }
            Err(error) => panic!("expected a 429, got {error}"),
            Ok(_) => panic!("a connect past the budget was let in"),
        }
    }
    assert!(
        watch_as(&app, &viewer, showtime, "198.51.100.78")
            .await
            .is_ok()
    );
}
