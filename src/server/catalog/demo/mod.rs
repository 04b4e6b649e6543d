//! The demo catalog: one theater, five movies, three auditoriums and a week of showtimes.
//!
//! Loaded on first start into an empty database, so `make run` shows something real. On every
//! later start the demo theater's schedule is topped up to cover the coming week (existing
//! showtimes are never touched), so a demo database does not go stale. A database holding any
//! other theater is left alone.
//!
//! The auditoriums are part of the contract of the browser tests (docs/api.md):
//! - "Grand Hall": 352 seats, rows A–P, two aisles, a premium block (rows H–K, centre), and
//!   four wheelchair spaces in row P, each with a companion seat beside it.
//! - "Studio 2": 140 seats, rows A–J, one centre aisle, premium rows F–G, two wheelchair
//!   spaces with companions in row J.
//! - "Screening Room": 8 seats, 2 rows of 4; small enough to sell out in a test.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::{PgPool, Postgres, Transaction};

mod data;

use data::{AUDITORIUMS, MOVIES};

pub const THEATER_SLUG: &str = "marquee-downtown";
const THEATER_ZONE: Tz = chrono_tz::America::Chicago;
/// Serialises concurrent starts of several instances on one database.
const SEED_LOCK: i64 = 0x4d41_5251_5545_4531; // "MARQUEE1"
/// Days of schedule kept ahead (today plus the next seven).
const SCHEDULE_DAYS: u64 = 8;

/// Loads the demo catalog into an empty database and keeps its schedule a week ahead. Returns
/// how many showtimes it added: the caller announces the change (`catalog::changed`) to the
/// instances already running, once it has an `AppState` to do so.
#[tracing::instrument(skip(db))]
pub async fn ensure(db: &PgPool) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SEED_LOCK)
        .execute(&mut *tx)
        .await?;

    let theater: Option<i64> = sqlx::query_scalar("SELECT id FROM theaters WHERE slug = $1")
        .bind(THEATER_SLUG)
        .fetch_optional(&mut *tx)
        .await?;
    let theater = match theater {
        Some(id) => id,
        None => {
            let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM theaters)")
                .fetch_one(&mut *tx)
                .await?;
            if !empty {
                tracing::info!("database holds a real catalog; not loading the demo");
                tx.commit().await?;
                return Ok(0);
            }
            insert_catalog(&mut tx).await?
        }
    };
    let added = schedule(&mut tx, theater, Utc::now()).await?;
    tx.commit().await?;
    tracing::info!(showtimes_added = added, "demo catalog ready");
    Ok(added)
}

async fn insert_catalog(tx: &mut Transaction<'_, Postgres>) -> Result<i64, sqlx::Error> {
    let theater: i64 = sqlx::query_scalar(
        "INSERT INTO theaters (slug, name, city, timezone) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(THEATER_SLUG)
    .bind("Marquee Downtown")
    .bind("Chicago")
    .bind(THEATER_ZONE.name())
    .fetch_one(&mut **tx)
    .await?;

    for m in &MOVIES {
        sqlx::query(
            "INSERT INTO movies (slug, title, synopsis, runtime_minutes, rating, poster_hue)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(m.slug)
        .bind(m.title)
        .bind(m.synopsis)
        .bind(m.runtime_minutes)
        .bind(m.rating)
        .bind(m.poster_hue)
        .execute(&mut **tx)
        .await?;
    }

    for a in &AUDITORIUMS {
        let auditorium: i64 = sqlx::query_scalar(
            "INSERT INTO auditoriums (theater_id, name, grid_rows, grid_cols)
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(theater)
        .bind(a.name)
        .bind(a.rows)
        .bind(a.grid_cols())
        .fetch_one(&mut **tx)
        .await?;

        let seats = a.seats();
        let labels: Vec<&str> = seats.iter().map(|s| s.0.as_str()).collect();
        let numbers: Vec<i32> = seats.iter().map(|s| s.1).collect();
        let grid_rows: Vec<i32> = seats.iter().map(|s| s.2).collect();
        let grid_cols: Vec<i32> = seats.iter().map(|s| s.3).collect();
        let kinds: Vec<&str> = seats.iter().map(|s| s.4.as_str()).collect();
        // One statement per auditorium rather than one per seat.
        sqlx::query(
            "INSERT INTO seats (auditorium_id, row_label, number, grid_row, grid_col, kind)
             SELECT $1, l, n, r, c, k::seat_kind
               FROM UNNEST($2::text[], $3::int[], $4::int[], $5::int[], $6::text[])
                    AS s (l, n, r, c, k)",
        )
        .bind(auditorium)
        .bind(&labels)
        .bind(&numbers)
        .bind(&grid_rows)
        .bind(&grid_cols)
        .bind(&kinds)
        .execute(&mut **tx)
        .await?;
    }
    tracing::info!("demo catalog loaded");
    Ok(theater)
}

/// Adds the demo showtimes from `now` through the coming week that do not exist yet.
/// Which movie plays in a slot depends only on the date and slot, so reruns agree.
async fn schedule(
    tx: &mut Transaction<'_, Postgres>,
    theater: i64,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let movies: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM movies WHERE slug = ANY($1) ORDER BY slug")
            .bind(MOVIES.iter().map(|m| m.slug).collect::<Vec<_>>())
            .fetch_all(&mut **tx)
            .await?;
    if movies.is_empty() {
        return Ok(0);
    }
    let today = now.with_timezone(&THEATER_ZONE).date_naive();
    let mut added = 0;
    for (index, a) in AUDITORIUMS.iter().enumerate() {
        let auditorium: Option<i64> =
            sqlx::query_scalar("SELECT id FROM auditoriums WHERE theater_id = $1 AND name = $2")
                .bind(theater)
                .bind(a.name)
                .fetch_optional(&mut **tx)
                .await?;
        let Some(auditorium) = auditorium else {
            continue;
        };
        for day in 0..SCHEDULE_DAYS {
            let Some(date) = today.checked_add_days(Days::new(day)) else {
                continue;
            };
            for (slot, &(hour, minute)) in a.slots.iter().enumerate() {
                let Some(starts_at) = local_start(date, hour, minute) else {
                    continue;
                };
                if starts_at <= now {
                    continue;
                }
                let ordinal = usize::try_from(date.num_days_from_ce()).unwrap_or(0);
                let movie = movies[(ordinal + slot + index) % movies.len()];
                added += insert_showtime(tx, movie, auditorium, starts_at, hour < 17).await?;
            }
        }
    }
    Ok(added)
}

fn local_start(date: NaiveDate, hour: u32, minute: u32) -> Option<DateTime<Utc>> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
    // `earliest` resolves a time that exists twice on the day clocks go back; a time that
    // does not exist (clocks go forward) is skipped.
    THEATER_ZONE
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Inserts a showtime with its prices unless one already starts then in that room.
async fn insert_showtime(
    tx: &mut Transaction<'_, Postgres>,
    movie: i64,
    auditorium: i64,
    starts_at: DateTime<Utc>,
    matinee: bool,
) -> Result<u64, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO showtimes (movie_id, auditorium_id, starts_at) VALUES ($1, $2, $3)
         ON CONFLICT (auditorium_id, starts_at) WHERE cancelled_at IS NULL DO NOTHING
         RETURNING id",
    )
    .bind(movie)
    .bind(auditorium)
    .bind(starts_at)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else { return Ok(0) };
    let (standard, premium) = if matinee { (950, 1350) } else { (1250, 1650) };
    sqlx::query(
        "INSERT INTO showtime_prices (showtime_id, kind, price_cents)
         VALUES ($1, 'standard', $2), ($1, 'premium', $3),
                ($1, 'wheelchair', $2), ($1, 'companion', $2)",
    )
    .bind(id)
    .bind(standard)
    .bind(premium)
    .execute(&mut **tx)
    .await?;
    Ok(1)
}
