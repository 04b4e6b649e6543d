//! Abuse protection at the HTTP edge: security headers, the session cookie's name, the
//! WebSocket's origin check, refusals that close cleanly, and the `/api/` body limit.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

/// The nonce every inline script of `html` carries (they must all carry the same one).
fn script_nonce(html: &str) -> String {
    let mut nonces: Vec<&str> = html
        .split("<script")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap()];
            let start = tag.find("nonce=\"").expect("every script has a nonce") + 7;
            &tag[start..start + tag[start..].find('"').unwrap()]
        })
        .collect();
    assert!(!nonces.is_empty(), "the page has inline scripts");
    nonces.dedup();
    assert_eq!(nonces.len(), 1, "one nonce per page: {nonces:?}");
    nonces[0].to_string()
}

#[tokio::test]
async fn pages_api_and_static_files_carry_the_security_headers() {
    // The public folder as site root, so a static file is served as in production.
    let app = spawn_app_with(&[("LEPTOS_SITE_ROOT", "public")]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let paths = [
        "/".to_string(),
        format!("/showtimes/{showtime}"),
        format!("/api/seat_map?showtime_id={showtime}"),
        "/favicon.svg".to_string(),
        "/no-such-page".to_string(),
        "/healthz".to_string(),
    ];
    for path in &paths {
        let response = app.get(path).await;
        let csp = header(&response, "content-security-policy").expect("a CSP");
        for directive in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval' 'nonce-",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert_eq!(
            header(&response, "x-content-type-options").unwrap(),
            "nosniff"
        );
        assert_eq!(header(&response, "x-frame-options").unwrap(), "DENY");
        assert_eq!(
            header(&response, "referrer-policy").unwrap(),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(
            header(&response, "strict-transport-security"),
            None,
            "{path}"
        );
        let private = path.starts_with("/showtimes/") || path.starts_with("/api/");
        let cache = header(&response, "cache-control");
        assert_eq!(
            cache.as_deref() == Some("private, no-store"),
            private,
            "{path}: {cache:?}"
        );
        if path == "/favicon.svg" {
            assert_eq!(response.status(), 200);
        }
        // Each page's inline scripts carry the nonce its policy names, fresh per response.
        if path == "/" || path.starts_with("/showtimes/") {
            let html = response.text().await.unwrap();
            let nonce = script_nonce(&html);
            assert!(csp.contains(&format!("'nonce-{nonce}'")), "{csp}");
            let again = app.get(path).await.text().await.unwrap();
            assert_ne!(script_nonce(&again), nonce);
        }
    }
}

#[tokio::test]
async fn with_cookie_secure_the_cookie_is_host_prefixed_and_hsts_is_sent() {
    let app = spawn_app_with(&[("COOKIE_SECURE", "true")]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let response = reqwest::get(app.url(&format!("/showtimes/{showtime}")))
        .await
        .unwrap();
    assert_eq!(
        header(&response, "strict-transport-security").unwrap(),
        "max-age=31536000"
    );
    let cookie = header(&response, "set-cookie").expect("a session cookie");
    assert!(cookie.starts_with("__Host-marquee_session="), "{cookie}");
    for attribute in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let value = pair.split_once('=').unwrap().1.to_string();

    // The prefixed name is read back (no new session) ...
    let seat = app.seats_of(showtime).await[0].0;
    let client = reqwest::Client::new();
    let hold = client
        .post(app.url("/api/hold_seats"))
        .header("cookie", &pair)
        .json(&json!({ "showtime_id": showtime, "seat_ids": [seat] }))
        .send()
        .await
        .unwrap();
    assert_eq!(hold.status(), 200);
    assert_eq!(
        header(&hold, "set-cookie"),
        None,
        "the session was recognised"
    );
    let map: Value = client
        .get(app.url(&format!("/api/seat_map?showtime_id={showtime}")))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(map["hold"]["seat_ids"], json!([seat]));

    // ... and the plain name is not the session in use.
    let plain = client
        .get(app.url(&format!("/api/seat_map?showtime_id={showtime}")))
        .header("cookie", format!("marquee_session={value}"))
        .send()
        .await
        .unwrap();
    assert!(header(&plain, "set-cookie").is_some(), "a new session");
    let map: Value = plain.json().await.unwrap();
    assert_eq!(map["hold"], Value::Null);
}

/// Opens the live feed of `showtime` with the given extra headers; the HTTP status on refusal.
async fn open_feed(
    app: &TestApp,
    showtime: i64,
    headers: &[(&'static str, String)],
) -> Result<(), u16> {
    let url = format!(
        "{}/ws/showtimes/{showtime}",
        app.address.replace("http", "ws")
    );
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    match connect_async(request).await {
        Ok(_) => Ok(()),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(other) => panic!("unexpected websocket error: {other}"),
    }
}

#[tokio::test]
async fn a_cross_site_websocket_is_refused_before_upgrading() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let victim = app.session();
    victim.seat_map(showtime).await;
    let cookie = ("cookie", victim.cookie());
    let host = app.address.trim_start_matches("http://").to_string();

    let evil = ("origin", "https://evil.example".to_string());
    assert_eq!(
        open_feed(&app, showtime, &[cookie.clone(), evil]).await,
        Err(403)
    );
    let fetch_site = ("sec-fetch-site", "cross-site".to_string());
    assert_eq!(
        open_feed(&app, showtime, &[cookie.clone(), fetch_site]).await,
        Err(403)
    );
    // The page's own origin, and clients that are not browsers (no Origin), still connect.
    let own = ("origin", format!("http://{host}"));
    assert_eq!(
        open_feed(&app, showtime, &[cookie.clone(), own]).await,
        Ok(())
    );
    let same = ("sec-fetch-site", "same-origin".to_string());
    assert_eq!(
        open_feed(&app, showtime, &[cookie.clone(), same]).await,
        Ok(())
    );
    assert_eq!(open_feed(&app, showtime, &[cookie]).await, Ok(()));
}

/// Sends `head`, then (after a pause, as a slow client would) `body`, and reads the whole
/// answer until the server closes the connection; an error means the connection was reset.
async fn exchange(app: &TestApp, head: &str, body: &[u8]) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(body).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_refused_cross_site_post_is_answered_and_closed_without_a_reset() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seat = app.seats_of(showtime).await[0].0;
    let body = json!({ "showtime_id": showtime, "seat_ids": [seat] }).to_string();
    let head = format!(
        "POST /api/hold_seats HTTP/1.1\r\nHost: {}\r\nOrigin: https://evil.example\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.address.trim_start_matches("http://"),
        body.len()
    );
    let answer = exchange(&app, &head, body.as_bytes())
        .await
        .expect("a clean close, not a reset");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.starts_with("http/1.1 403"), "{answer}");
    assert!(lower.contains("\r\nconnection: close\r\n"), "{answer}");
    assert!(answer.ends_with(r#"{"error":"forbidden"}"#), "{answer}");
}

#[tokio::test]
async fn an_oversized_field_is_refused_as_json_without_echoing_it() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seat = app.seats_of(showtime).await[0].0;
    let buyer = app.session();
    let (status, _) = buyer.hold(showtime, &[seat]).await;
    assert_eq!(status, 200);
    let purchase = |name: &str, email: &str| {
        json!({ "request": {
            "showtime_id": showtime, "seat_ids": [seat], "name": name, "email": email,
            "card_number": "4242 4242 4242 4242", "idempotency_key": "hardening-1",
        }})
    };

    // A 1 MB field: over the body limit, refused before it is decoded.
    let huge = "<b>x</b>".repeat(125_000);
    let response = buyer
        .client
        .post(app.url("/api/purchase"))
        .json(&purchase(&huge, "ada@example.com"))
        .send()
        .await
        .expect("an answer, not a reset");
    assert_eq!(response.status(), 413);
    assert_eq!(header(&response, "connection").as_deref(), Some("close"));
    let text = response.text().await.unwrap();
    assert!(!text.contains("<b>x</b>"), "{text}");
    let error: Value = serde_json::from_str(&text).expect("a JSON error");
    assert_eq!(error, json!({ "error": "too_large", "max_bytes": 16384 }));

    // Under the limit, but far too long for its field: a short 400 naming the problem.
    let long = format!("{}@example.com", "<b>x</b>".repeat(1_000));
    let (status, error) = buyer
        .post("purchase", purchase("Ada Lovelace", &long))
        .await;
    assert_eq!((status, error["error"].as_str()), (400, Some("bad_input")));
    let message = error["message"].as_str().unwrap();
    assert!(
        !message.contains("<b>x</b>") && message.len() < 200,
        "{message}"
    );

    // A value of the wrong type is not quoted back either.
    let (status, error) = buyer
        .post(
            "hold_seats",
            json!({ "showtime_id": showtime, "seat_ids": ["<b>x</b>".repeat(1_000)] }),
        )
        .await;
    assert_eq!((status, error["error"].as_str()), (400, Some("bad_input")));
    let message = error["message"].as_str().unwrap();
    assert!(
        !message.contains("<b>x</b>") && message.len() < 250,
        "{message}"
    );

    // A body that does not declare its length is cut off at the limit too.
    let chunk = format!(
        r#"{{"showtime_id": {showtime}, "seat_ids": [{}]}}"#,
        " ".repeat(20_000)
    );
    let head = format!(
        "POST /api/hold_seats HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.address.trim_start_matches("http://"),
    );
    let body = format!("{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len());
    let answer = exchange(&app, &head, body.as_bytes())
        .await
        .expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(answer.contains(r#""error":"#), "{answer}");

    // Nothing was bought.
    assert_eq!(app.postgres_sold(showtime).await, Vec::<i64>::new());
}
