//! Postgres row locks, alf.io's way: every seat of a showtime is a row from the start (alf.io
//! creates one `ticket` row per sellable ticket when the event is set up), and a hold locks the
//! free rows it wants and stamps them with the holder and an expiry in the same transaction
//! (alf.io's `TicketRepository`: `selectTicketInCategoryForUpdate`, `… for update`, then
//! `reserveTickets` sets `tickets_reservation_id` and the status). The alf.io sources read
//! for this lock with a plain `FOR UPDATE` and take any N free tickets of a category; here a
//! visitor names its seats, and the lock is `FOR UPDATE SKIP LOCKED`, as this comparison
//! specifies: a row locked by someone else is skipped, not waited for, so a hold never queues
//! behind another. Fewer rows than asked means someone else has (or is taking) a seat, and the
//! whole hold rolls back as a 409.

use sqlx::PgPool;

use super::server::{Design, Error, Outcome, missing, sorted};

pub struct PgSkipLocked {
    pub db: PgPool,
}

impl PgSkipLocked {
    pub async fn create(db: PgPool) -> Result<Self, Error> {
        sqlx::query(
            "CREATE TABLE design_seat_rows (
                showtime_id bigint NOT NULL,
                seat_id bigint NOT NULL,
                holder text,
                expires_at timestamptz,
                sold boolean NOT NULL DEFAULT false,
                PRIMARY KEY (showtime_id, seat_id)
            )",
        )
        .execute(&db)
        .await?;
        Ok(Self { db })
    }
}

impl Design for PgSkipLocked {
    async fn prepare(&self, showtime: i64, seats: &[i64]) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO design_seat_rows (showtime_id, seat_id) SELECT $1, unnest($2::bigint[])",
        )
        .bind(showtime)
        .bind(seats)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    async fn hold(&self, showtime: i64, session: &str, seats: &[i64]) -> Result<Outcome, Error> {
        let seats = sorted(seats);
        let mut tx = self.db.begin().await?;
        // An expired hold counts as free: it is taken over in place.
        let got: Vec<i64> = sqlx::query_scalar(
            "SELECT seat_id FROM design_seat_rows
              WHERE showtime_id = $1 AND seat_id = ANY($2) AND NOT sold
                AND (holder IS NULL OR expires_at < now())
              ORDER BY seat_id
                FOR UPDATE SKIP LOCKED",
        )
        .bind(showtime)
        .bind(&seats)
        .fetch_all(&mut *tx)
        .await?;
        if got.len() < seats.len() {
            tx.rollback().await?;
            return Ok(Outcome::Taken(missing(&seats, &got)));
        }
        sqlx::query(
            "UPDATE design_seat_rows SET holder = $3, expires_at = now() + interval '5 minutes'
              WHERE showtime_id = $1 AND seat_id = ANY($2)",
        )
        .bind(showtime)
        .bind(&seats)
        .bind(session)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Outcome::Done(seats))
    }

    async fn release(&self, showtime: i64, session: &str, seats: &[i64]) -> Result<Outcome, Error> {
        let released: Vec<i64> = sqlx::query_scalar(
            "UPDATE design_seat_rows SET holder = NULL, expires_at = NULL
              WHERE showtime_id = $1 AND seat_id = ANY($2) AND holder = $3 AND NOT sold
              RETURNING seat_id",
        )
        .bind(showtime)
        .bind(seats)
        .bind(session)
        .fetch_all(&self.db)
        .await?;
        Ok(Outcome::Done(released))
    }

    async fn confirm(&self, showtime: i64, session: &str, seats: &[i64]) -> Result<Outcome, Error> {
        let seats = sorted(seats);
        let mut tx = self.db.begin().await?;
        let sold: Vec<i64> = sqlx::query_scalar(
            "UPDATE design_seat_rows SET sold = true
              WHERE showtime_id = $1 AND seat_id = ANY($2) AND holder = $3
                AND expires_at >= now() AND NOT sold
              RETURNING seat_id",
        )
        .bind(showtime)
        .bind(&seats)
        .bind(session)
        .fetch_all(&mut *tx)
        .await?;
        if sold.len() < seats.len() {
            tx.rollback().await?;
            return Ok(Outcome::Taken(missing(&seats, &sold)));
        }
        tx.commit().await?;
        Ok(Outcome::Done(seats))
    }

    async fn seat_map(&self, showtime: i64) -> Result<(Vec<i64>, Vec<i64>), Error> {
        let rows: Vec<(i64, bool)> = sqlx::query_as(
            "SELECT seat_id, sold FROM design_seat_rows
              WHERE showtime_id = $1 AND (sold OR (holder IS NOT NULL AND expires_at >= now()))",
        )
        .bind(showtime)
        .fetch_all(&self.db)
        .await?;
        Ok(split(rows))
    }

    async fn audit(&self, showtime: i64) -> Result<(i64, i64), Error> {
        Ok(sqlx::query_as(
            "SELECT count(*), count(DISTINCT seat_id) FROM design_seat_rows
              WHERE showtime_id = $1 AND sold",
        )
        .bind(showtime)
        .fetch_one(&self.db)
        .await?)
    }
}

/// `(seat, sold)` rows as the seat map's sold and held lists.
pub fn split(rows: Vec<(i64, bool)>) -> (Vec<i64>, Vec<i64>) {
    let (sold, held): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, sold)| *sold);
    (
        sold.into_iter().map(|(s, _)| s).collect(),
        held.into_iter().map(|(s, _)| s).collect(),
    )
}
