//! `GET /metrics`: Prometheus text that moves with what the app does, for the operator only.
//!
//! The metrics recorder is one per process (as in production, one instance per process), so
//! tests running side by side add to the same counters: these tests check that values go up
//! by at least what they did themselves.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::Value;
use tokio_tungstenite::connect_async;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// One sample: metric name, labels, value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the Prometheus text exposition format (version 0.0.4), strictly enough to fail on
/// anything a scraper would reject: every line is a comment (`# HELP`/`# TYPE` naming a
/// metric and, for TYPE, a known type) or `name{label="value",…} value`.
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("HELP"), Some(name), _) => assert!(is_name(name), "{line}"),
                (Some("TYPE"), Some(name), Some(kind)) => {
                    assert!(is_name(name), "{line}");
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                        "{line}"
                    );
                }
                _ => panic!("not a HELP or TYPE line: {line}"),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or_else(|_| panic!("a number: {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, labels(rest.strip_suffix('}').expect(line))),
            None => (series, BTreeMap::new()),
        };
        assert!(is_name(name), "{line}");
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    samples
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `key="value",…` with `\\`, `\"` and `\n` escapes.
fn labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").expect("label=\"value\"");
        assert!(is_name(key), "label name {key}");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("a closed label value") {
                (i, '"') => break i,
                (_, '\\') => match chars.next().unwrap().1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        labels.insert(key.to_string(), value);
        rest = after[end + 1..].trim_start_matches(',');
    }
    labels
}

/// The value of the series `name` with exactly `labels` (0 when it does not exist yet).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == wanted)
        .map_or(0.0, |s| s.value)
}

async fn scrape(app: &TestApp) -> (String, Vec<Sample>) {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    assert!(response.headers().get("set-cookie").is_none());
    let text = response.text().await.unwrap();
    let samples = parse(&text);
    (text, samples)
}

#[tokio::test]
async fn metrics_are_prometheus_text_and_count_holds_purchases_and_sockets() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats = app.seats_of(showtime).await;
    let (_, before) = scrape(&app).await;
    assert_eq!(
        value(
            &before,
            "marquee_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );

    // A hold and a purchase, a hold refused, a declined card.
    let buyer = app.session();
    let (status, _) = buyer.hold(showtime, &[seats[0].0]).await;
    assert_eq!(status, 200);
    let (status, order) = buyer
        .buy(
            showtime,
            &[seats[0].0],
            "4242 4242 4242 4242",
            "metrics-key-1",
        )
        .await;
    assert_eq!(status, 200, "{order}");
    let other = app.session();
    assert_eq!(other.hold(showtime, &[seats[0].0]).await.0, 409);
    assert_eq!(other.hold(showtime, &[seats[1].0]).await.0, 200);
    let (status, _) = other
        .buy(
            showtime,
            &[seats[1].0],
            "4000 0000 0000 0002",
            "metrics-key-2",
        )
        .await;
    assert_eq!(status, 402);

    // The catalog twice: read, then cached.
    for _ in 0..2 {
        assert_eq!(app.get("/api/now_showing").await.status(), 200);
    }

    // A live socket: its snapshot.
    let request = crate::live::feed_request(&app, &buyer, showtime);
    let (mut socket, _) = connect_async(request).await.unwrap();
    let first = socket.next().await.unwrap().unwrap();
    let first: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(first["type"], "snapshot");
    let (_, open) = scrape(&app).await;
    assert!(value(&open, "marquee_live_sockets", &[]) >= 1.0);
    drop(socket);

    let (text, after) = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)], by: f64| {
        let (was, is) = (value(&before, name, labels), value(&after, name, labels));
        assert!(is >= was + by, "{name}{labels:?}: {was} -> {is}");
    };
    grew("marquee_holds_total", &[("outcome", "ok")], 2.0);
    grew("marquee_holds_total", &[("outcome", "seat_taken")], 1.0);
    grew("marquee_hold_duration_seconds_count", &[], 3.0);
    grew(
        "marquee_hold_duration_seconds_bucket",
        &[("le", "+Inf")],
        3.0,
    );
    grew("marquee_purchases_total", &[("outcome", "ok")], 1.0);
    grew(
        "marquee_purchases_total",
        &[("outcome", "payment_declined")],
        1.0,
    );
    grew("marquee_purchase_duration_seconds_count", &[], 2.0);
    grew(
        "marquee_payment_calls_total",
        &[("call", "charge"), ("result", "captured")],
        1.0,
    );
    grew(
        "marquee_payment_calls_total",
        &[("call", "charge"), ("result", "declined")],
        1.0,
    );
    grew(
        "marquee_payment_call_duration_seconds_count",
        &[("call", "charge")],
        2.0,
    );
    grew(
        "marquee_http_requests_total",
        &[
            ("route", "/api/hold_seats"),
            ("method", "POST"),
            ("status", "200"),
        ],
        2.0,
    );
    grew(
        "marquee_http_requests_total",
        &[
            ("route", "/api/purchase"),
            ("method", "POST"),
            ("status", "402"),
        ],
        1.0,
    );
    grew(
        "marquee_http_request_duration_seconds_count",
        &[("route", "/api/purchase")],
        2.0,
    );
    grew("marquee_live_connects_total", &[("outcome", "ok")], 1.0);
    grew("marquee_live_messages_total", &[("kind", "snapshot")], 1.0);
    grew(
        "marquee_catalog_cache_lookups_total",
        &[("kind", "now_showing"), ("result", "hit")],
        1.0,
    );

    // Labels never carry ids, sessions or paths of one showtime.
    let session = buyer.id();
    assert!(!text.contains(&session));
    for sample in &after {
        for value in sample.labels.values() {
            assert!(
                !value.contains(&format!("/{showtime}")) && !value.contains(&session),
                "{sample:?}"
            );
        }
    }
    // Every histogram is one: buckets, not a summary.
    assert!(text.contains("# TYPE marquee_hold_duration_seconds histogram"));
}

#[tokio::test]
async fn metrics_are_for_local_scrapers_or_whoever_has_the_token() {
    let token = "s3cret-metrics-token-0123";
    let app = spawn_app_with(&[("METRICS_TOKEN", token)]).await;
    let get = |headers: &[(&'static str, &str)]| {
        let mut request = reqwest::Client::new().get(app.url("/metrics"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    // Straight from this machine (a Prometheus beside the instance).
    assert_eq!(get(&[]).await.unwrap().status(), 200);
    // Through a proxy, even one on this machine: forbidden without the token.
    for forwarded in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
    ] {
        let refused = get(&[forwarded]).await.unwrap();
        assert_eq!(refused.status(), 403, "{forwarded:?}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "forbidden");
    }
    let proxied = ("x-forwarded-for", "203.0.113.9");
    let bearer = format!("Bearer {token}");
    let with_token = get(&[proxied, ("authorization", &bearer)]).await.unwrap();
    assert_eq!(with_token.status(), 200);
    assert!(
        with_token
            .text()
            .await
            .unwrap()
            .contains("marquee_build_info")
    );
    let wrong = get(&[
        proxied,
        ("authorization", "Bearer s3cret-metrics-token-0124"),
    ])
    .await
    .unwrap();
    assert_eq!(wrong.status(), 403);

    // Turned off, there is nothing there.
    let off = spawn_app_with(&[("METRICS", "false")]).await;
    assert_eq!(off.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn prometheus_text_parser_rejects_what_a_scraper_would() {
    let ok = parse(
        "# HELP a_total Things\n# TYPE a_total counter\na_total{k=\"v\\\"x\",l=\"2\"} 3\nb 1.5\n",
    );
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0].labels["k"], "v\"x");
    for bad in ["a b c", "1abc 2", "a{k=v} 1", "# NOTE x"] {
        assert!(std::panic::catch_unwind(|| parse(bad)).is_err(), "{bad}");
    }
}
