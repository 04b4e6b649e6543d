//! Server-rendered pages: what a browser (or a crawler) gets before any JavaScript runs.

use crate::helpers::spawn_app;

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[tokio::test]
async fn home_lists_every_demo_movie_with_showtime_links() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    for title in [
        "The Last Projectionist",
        "Orbit of Glass",
        "Paper Lanterns",
        "Midnight at the Lido",
        "Saltwater Summer",
    ] {
        assert!(html.contains(title), "home page lists {title}");
    }
    let upcoming: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM showtimes
          WHERE starts_at > now() AND starts_at < now() + interval '7 days'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(upcoming > 0);
    assert_eq!(count(&html, "class=\"showtime-link\""), upcoming as usize);
}

#[tokio::test]
async fn showtime_page_renders_every_seat_of_its_auditorium() {
    let app = spawn_app().await;
    for (auditorium, expected) in [
        ("Grand Hall", 352),
        ("Studio 2", 140),
        ("Screening Room", 8),
    ] {
        let (showtime, seats) = app.showtime_in(auditorium).await;
        assert_eq!(seats, expected, "{auditorium} has the documented size");

        let response = app.get(&format!("/showtimes/{showtime}")).await;
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert_eq!(
            count(&html, "data-seat-id=\""),
            expected as usize,
            "{auditorium}"
        );
        assert_eq!(count(&html, "data-state=\"available\""), expected as usize);
        assert!(html.contains(auditorium));
        assert!(html.contains("class=\"screen\""), "screen marker");
        assert!(html.contains("class=\"legend\""), "legend");
    }
}

#[tokio::test]
async fn seats_carry_their_accessible_name_and_kind() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Grand Hall").await;
    let prices: Vec<(String, i32)> = sqlx::query_as(
        "SELECT kind::text, price_cents FROM showtime_prices WHERE showtime_id = $1",
    )
    .bind(showtime)
    .fetch_all(&app.db)
    .await
    .unwrap();
    let price = |kind: &str| {
        let cents = prices.iter().find(|p| p.0 == kind).unwrap().1;
        format!("${}.{:02}", cents / 100, cents % 100)
    };
    let html = app
        .get(&format!("/showtimes/{showtime}"))
        .await
        .text()
        .await
        .unwrap();
    // Row A, first seat: left block, standard.
    assert!(html.contains(&format!(
        "aria-label=\"Row A, seat 1, standard, {}\"",
        price("standard")
    )));
    // Row H, seat 5 is the first seat of the centre block: premium.
    assert!(html.contains(&format!(
        "aria-label=\"Row H, seat 5, premium, {}\"",
        price("premium")
    )));
    // Row P has wheelchair spaces with companions.
    assert_eq!(
        count(&html, "class=\"seat seat--wheelchair is-available\""),
        4
    );
    assert_eq!(
        count(&html, "class=\"seat seat--companion is-available\""),
        4
    );
    assert!(html.contains(&format!(
        "aria-label=\"Row P, seat 5, wheelchair, {}\"",
        price("wheelchair")
    )));
}

#[tokio::test]
async fn unknown_showtimes_movies_and_pages_are_404() {
    let app = spawn_app().await;
    for path in [
        "/showtimes/987654321",
        "/showtimes/not-a-number",
        "/movies/987654321",
        "/no/such/page",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Not found"),
            "{path} shows the not-found page"
        );
    }
}

#[tokio::test]
async fn movie_page_shows_the_movie_and_its_showtimes() {
    let app = spawn_app().await;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM movies WHERE slug = 'orbit-of-glass'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let response = app.get(&format!("/movies/{id}")).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Orbit of Glass"));
    assert!(html.contains("142 min"));
}

/// Pages keep rendering while other instances start in the same process. Building an
/// instance's router finds the pages' routes by rendering the app with data loading switched
/// off, process-wide; a page whose data started loading meanwhile used to wait forever (a 503
/// after `REQUEST_TIMEOUT_SECS`, or no answer within a client's timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_instances_start() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    let app = Arc::new(spawn_app().await);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let starting = Arc::new(AtomicBool::new(true));
    let mut readers = Vec::new();
    // Sign-in loads data (its flash message) through a server function but reads nothing from
    // Postgres, so a new database connection's wait cannot be mistaken for the hang.
    for path in ["/admin/login"; 4] {
        let (app, client, starting) = (app.clone(), client.clone(), starting.clone());
        readers.push(tokio::spawn(async move {
            let mut answered = 0;
            while starting.load(Ordering::Relaxed) {
                let asked = Instant::now();
                let status = client.get(app.url(path)).send().await.map(|r| r.status());
                assert!(
                    matches!(status, Ok(reqwest::StatusCode::OK)),
                    "{path} while other instances start: {status:?} after {:?}",
                    asked.elapsed()
                );
                answered += 1;
            }
            answered
        }));
    }
    // Other instances being set up, a router every 20 ms or so, for three seconds.
    let state = app.state.clone();
    let builder = tokio::task::spawn_blocking(move || {
        let began = Instant::now();
        let mut built = 0;
        while began.elapsed() < Duration::from_secs(3) {
            drop(marquee::server::router(state.clone()));
            built += 1;
            std::thread::sleep(Duration::from_millis(20));
        }
        built
    });
    assert!(builder.await.unwrap() > 0);
    starting.store(false, Ordering::Relaxed);
    for reader in readers {
        let answered = reader.await.expect("every page answered");
        assert!(answered > 0);
    }
}
