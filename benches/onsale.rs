//! On-sale scale benchmark: the flash sale and the live feed at the sizes of a big on-sale,
//! in one run. Run with `make bench-onsale` (release build, a few minutes).
//!
//! Everything shares one machine (app, clients, Postgres, Redis), so absolute figures say
//! little; what this bench is for is whether correctness holds at this size, and the live
//! feed's figures at 5,000 sockets as ratios to 1,000 measured in the same run.
//!
//! - Flash sale (`onsale/sale.rs`): a 1,000-seat auditorium the bench adds to its own database
//!   (25 rows × 40 standard seats, one upcoming showtime with prices); 10,000 buyers, each its
//!   own session, read the seat map, hold 1–4 random free seats and buy them, through the
//!   HTTP API, at most 2,000 of them at a time (file descriptors). Reports the time to sell
//!   out, holds attempted and lost (409), hold latency, purchases; checks that nothing was
//!   sold twice: active tickets = distinct seats = 1,000 = Redis' sold set.
//! - Live feed (`onsale/live.rs`): as `live.rs` does for 1,000 sockets, at 1,000 (the
//!   baseline) and at 5,000 sockets on one showtime of one instance, each size in a fresh
//!   process of its own (this executable, run again): change-to-socket p50/p99/max over every
//!   socket and change, RSS growth per socket, and whether every socket got every change.
//!
//! Anything wrong (an oversell, an error answer, a lost delivery) is printed with the figures
//! and fails the run at the end, after every figure is out.

mod support;

#[path = "onsale/live.rs"]
mod live;
#[path = "onsale/sale.rs"]
mod sale;

use marquee::server::catalog::demo::THEATER_SLUG;
use marquee::server::{AppState, Application};
use support::BenchDatabase;

const ROWS: i32 = 25;
const SEATS_PER_ROW: i32 = 40;
const LIVE_SIZES: [usize; 2] = [1_000, 5_000];

/// Adds the bench's auditorium to the demo theater, with one showtime tomorrow priced for its
/// (all standard) seats, and tells the app the catalog changed. Returns the showtime.
async fn arena(state: &AppState) -> i64 {
    let mut tx = state.db.begin().await.unwrap();
    let auditorium: i64 = sqlx::query_scalar(
        "INSERT INTO auditoriums (theater_id, name, grid_rows, grid_cols)
         SELECT id, 'On-sale Arena', $2, $3 FROM theaters WHERE slug = $1 RETURNING id",
    )
    .bind(THEATER_SLUG)
    .bind(ROWS)
    .bind(SEATS_PER_ROW)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    // Rows A–Y nearest the screen first, seats numbered from 1, no aisles.
    sqlx::query(
        "INSERT INTO seats (auditorium_id, row_label, number, grid_row, grid_col, kind)
         SELECT $1, chr(64 + r), c, r, c, 'standard'
           FROM generate_series(1, $2) AS r, generate_series(1, $3) AS c",
    )
    .bind(auditorium)
    .bind(ROWS)
    .bind(SEATS_PER_ROW)
    .execute(&mut *tx)
    .await
    .unwrap();
    let showtime: i64 = sqlx::query_scalar(
        "INSERT INTO showtimes (movie_id, auditorium_id, starts_at)
         SELECT id, $1, date_trunc('hour', now()) + interval '1 day' FROM movies
          ORDER BY id LIMIT 1 RETURNING id",
    )
    .bind(auditorium)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO showtime_prices (showtime_id, kind, price_cents) VALUES ($1, 'standard', 1500)",
    )
    .bind(showtime)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Nothing has cached the new showtime yet; this is what staff edits do all the same.
    marquee::server::catalog::changed(state).await;
    showtime
}

#[tokio::main]
async fn main() {
    if let Some(sockets) = std::env::var(live::ENV).ok().and_then(|v| v.parse().ok()) {
        return live::child(sockets).await;
    }
    println!(
        "Marquee on-sale benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();

    let database = BenchDatabase::create("onsale").await;
    let settings = database.settings(&[("DATABASE_MAX_CONNECTIONS", "20")]);
    let app = Application::build(settings).await.expect("app builds");
    let base = format!("http://{}", app.address());
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));

    let showtime = arena(&state).await;
    let info = state.showtimes.get(&state.db, showtime).await.unwrap();
    assert_eq!(info.seat_ids.len(), (ROWS * SEATS_PER_ROW) as usize);
    let sale = sale::run(&base, &state, showtime).await;
    sale.print();

    // The live feed runs in processes of their own: stop this app so it takes no CPU.
    let _ = stop.send(());
    let _ = server.await;
    drop(state);
    database.drop().await;

    println!();
    let live: Vec<(usize, Option<live::Figures>)> = LIVE_SIZES
        .iter()
        .map(|&sockets| (sockets, live::measure_in_child(sockets)))
        .collect();
    if let [(_, Some(small)), (_, Some(large))] = &live[..] {
        live::print_comparison(small, large);
    }

    let mut problems = sale.problems();
    problems.extend(live::problems(&live));
    if !problems.is_empty() {
        println!();
        for problem in &problems {
            println!("PROBLEM: {problem}");
        }
    }
    assert!(problems.is_empty(), "{} problems (above)", problems.len());
}
