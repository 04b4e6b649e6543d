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

use crate::app::catalog::SeatKind;

pub const THEATER_SLUG: &str = "marquee-downtown";
const THEATER_ZONE: Tz = chrono_tz::America::Chicago;
/// Serialises concurrent starts of several instances on one database.
const SEED_LOCK: i64 = 0x4d41_5251_5545_4531; // "MARQUEE1"
/// Days of schedule kept ahead (today plus the next seven).
const SCHEDULE_DAYS: u64 = 8;

struct DemoMovie {
    slug: &'static str,
    title: &'static str,
    synopsis: &'static str,
    runtime_minutes: i32,
    rating: &'static str,
    poster_hue: i32,
}

const MOVIES: [DemoMovie; 5] = [
    DemoMovie {
        slug: "the-last-projectionist",
        title: "The Last Projectionist",
        synopsis: "A small-town cinema's last projectionist has one week to save the picture house.",
        runtime_minutes: 118,
        rating: "PG-13",
        poster_hue: 28,
    },
    DemoMovie {
        slug: "orbit-of-glass",
        title: "Orbit of Glass",
        synopsis: "Six astronauts, one fragile station, and a signal no one can explain.",
        runtime_minutes: 142,
        rating: "PG-13",
        poster_hue: 205,
    },
    DemoMovie {
        slug: "paper-lanterns",
        title: "Paper Lanterns",
        synopsis: "An animated tale of a girl who folds a lantern that can find lost things.",
        runtime_minutes: 96,
        rating: "PG",
        poster_hue: 340,
    },
    DemoMovie {
        slug: "midnight-at-the-lido",
        title: "Midnight at the Lido",
        synopsis: "A jazz pianist witnesses a theft during the last set and becomes the suspect.",
        runtime_minutes: 109,
        rating: "R",
        poster_hue: 270,
    },
    DemoMovie {
        slug: "saltwater-summer",
        title: "Saltwater Summer",
        synopsis: "A documentary following a fishing village through its busiest season.",
        runtime_minutes: 88,
        rating: "PG",
        poster_hue: 170,
    },
];

/// An auditorium's layout, generated rather than typed out: rows of seat blocks separated
/// by aisle columns.
struct DemoAuditorium {
    name: &'static str,
    rows: i32,
    /// Column ranges (inclusive, 1-based) holding seats; columns between blocks are aisles.
    blocks: &'static [(i32, i32)],
    /// Grid rows with premium seats, and the columns (inclusive) they span in those rows.
    premium_rows: &'static [i32],
    premium_cols: (i32, i32),
    /// (grid row, grid column, kind) overrides for wheelchair spaces and companions.
    accessible: &'static [(i32, i32, SeatKind)],
    /// Local start times (hour, minute).
    slots: &'static [(u32, u32)],
}

impl DemoAuditorium {
    fn grid_cols(&self) -> i32 {
        self.blocks.iter().map(|b| b.1).max().unwrap_or(0)
    }

    /// (row label, number, grid row, grid column, kind) of every seat, numbered from the
    /// left, row A nearest the screen.
    fn seats(&self) -> Vec<(String, i32, i32, i32, SeatKind)> {
        let mut seats = Vec::new();
        for row in 1..=self.rows {
            let label = row_label(row);
            let mut number = 0;
            for &(first, last) in self.blocks {
                for col in first..=last {
                    number += 1;
                    let (first_premium, last_premium) = self.premium_cols;
                    let mut kind = if self.premium_rows.contains(&row)
                        && (first_premium..=last_premium).contains(&col)
                    {
                        SeatKind::Premium
                    } else {
                        SeatKind::Standard
                    };
                    if let Some(&(_, _, k)) = self
                        .accessible
                        .iter()
                        .find(|&&(r, c, _)| r == row && c == col)
                    {
                        kind = k;
                    }
                    seats.push((label.clone(), number, row, col, kind));
                }
            }
        }
        seats
    }
}

use SeatKind::{Companion as C, Wheelchair as W};

const AUDITORIUMS: [DemoAuditorium; 3] = [
    DemoAuditorium {
        name: "Grand Hall",
        rows: 16,
        blocks: &[(1, 4), (6, 19), (21, 24)],
        premium_rows: &[8, 9, 10, 11],
        premium_cols: (6, 19),
        accessible: &[
            (16, 6, W),
            (16, 7, C),
            (16, 10, W),
            (16, 11, C),
            (16, 14, C),
            (16, 15, W),
            (16, 18, C),
            (16, 19, W),
        ],
        slots: &[(14, 0), (17, 30), (21, 0)],
    },
    DemoAuditorium {
        name: "Studio 2",
        rows: 10,
        blocks: &[(1, 7), (9, 15)],
        premium_rows: &[6, 7],
        premium_cols: (1, 15),
        accessible: &[(10, 1, W), (10, 2, C), (10, 14, C), (10, 15, W)],
        slots: &[(13, 15), (16, 0), (19, 0), (21, 45)],
    },
    DemoAuditorium {
        name: "Screening Room",
        rows: 2,
        blocks: &[(1, 4)],
        premium_rows: &[],
        premium_cols: (0, 0),
        accessible: &[],
        slots: &[(15, 0), (20, 0)],
    },
];

/// "A".."Z", then "AA".. for very deep rooms.
fn row_label(row: i32) -> String {
    let mut n = row;
    let mut label = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        label.push((b'A' + rem) as char);
        n = (n - 1) / 26;
    }
    label.iter().rev().collect()
}

/// Loads the demo catalog into an empty database and keeps its schedule a week ahead.
#[tracing::instrument(skip(db))]
pub async fn ensure(db: &PgPool) -> Result<(), sqlx::Error> {
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
                return tx.commit().await;
            }
            insert_catalog(&mut tx).await?
        }
    };
    let added = schedule(&mut tx, theater, Utc::now()).await?;
    tx.commit().await?;
    tracing::info!(showtimes_added = added, "demo catalog ready");
    Ok(())
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
         ON CONFLICT (auditorium_id, starts_at) DO NOTHING RETURNING id",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_labels_continue_past_z() {
        assert_eq!(row_label(1), "A");
        assert_eq!(row_label(26), "Z");
        assert_eq!(row_label(27), "AA");
    }

    #[test]
    fn auditoriums_have_the_documented_sizes() {
        let sizes: Vec<usize> = AUDITORIUMS.iter().map(|a| a.seats().len()).collect();
        assert_eq!(sizes, vec![352, 140, 8]);
    }

    #[test]
    fn every_wheelchair_space_has_a_companion_beside_it() {
        for a in &AUDITORIUMS {
            let seats = a.seats();
            for &(_, _, row, col, kind) in &seats {
                if kind == SeatKind::Wheelchair {
                    let beside = seats.iter().any(|&(_, _, r, c, k)| {
                        r == row && (c == col - 1 || c == col + 1) && k == SeatKind::Companion
                    });
                    assert!(beside, "{} row {row} col {col} has no companion", a.name);
                }
            }
        }
    }

    #[test]
    fn grand_hall_has_two_aisles_and_a_premium_block() {
        let hall = &AUDITORIUMS[0];
        assert!(hall.rows * hall.grid_cols() >= 300);
        let seats = hall.seats();
        let occupied = |col| seats.iter().any(|s| s.3 == col);
        assert!(!occupied(5) && !occupied(20), "aisles at columns 5 and 20");
        assert!(seats.iter().any(|s| s.4 == SeatKind::Premium));
    }
}
