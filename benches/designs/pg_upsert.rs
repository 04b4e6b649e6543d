//! Postgres upsert, Revel's way (letsrevel/revel-backend, `events/service/seating/holds.py`):
//! a hold table with an unconditional `UNIQUE (event, seat)` (a partial unique index "where not
//! expired" is impossible, `now()` is not immutable), and a hold claims each seat with
//! `INSERT … ON CONFLICT DO UPDATE … WHERE <row>.expires_at <= now()`: a free seat is
//! inserted, an expired hold is taken over in place, a live one leaves the row untouched and
//! returns nothing. Fewer rows returned than asked rolls the whole transaction back.
//!
//! Revel runs one upsert per seat, in seat order, inside the transaction; here the seats go in
//! one statement (`unnest` of the sorted ids), which keeps the same lock order in one round
//! trip. Revel also lets a holder refresh its own live hold (a second `WHERE` arm); the other
//! designs here do not, so neither does this one. A sale keeps the row and sets its expiry to
//! `infinity`, so the same `WHERE` keeps a sold seat from ever being taken over.

use sqlx::PgPool;

use super::pg_skip_locked::split;
use super::server::{Design, Error, Outcome, missing, sorted};

pub struct PgUpsert {
    pub db: PgPool,
}

impl PgUpsert {
    pub async fn create(db: PgPool) -> Result<Self, Error> {
        sqlx::query(
            "CREATE TABLE design_seat_holds (
                showtime_id bigint NOT NULL,
                seat_id bigint NOT NULL,
                holder text NOT NULL,
                expires_at timestamptz NOT NULL,
                sold boolean NOT NULL DEFAULT false,
                UNIQUE (showtime_id, seat_id)
            )",
        )
        .execute(&db)
        .await?;
        Ok(Self { db })
    }
}

impl Design for PgUpsert {
    async fn prepare(&self, _showtime: i64, _seats: &[i64]) -> Result<(), Error> {
        Ok(())
    }

    async fn hold(&self, showtime: i64, session: &str, seats: &[i64]) -> Result<Outcome, Error> {
        let seats = sorted(seats);
        let mut tx = self.db.begin().await?;
        let got: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO design_seat_holds (showtime_id, seat_id, holder, expires_at)
             SELECT $1, seat, $3, now() + interval '5 minutes' FROM unnest($2::bigint[]) AS seat
             ON CONFLICT (showtime_id, seat_id) DO UPDATE
                SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
              WHERE design_seat_holds.expires_at < now()
             RETURNING seat_id",
        )
        .bind(showtime)
        .bind(&seats)
        .bind(session)
        .fetch_all(&mut *tx)
        .await?;
        if got.len() < seats.len() {
            tx.rollback().await?;
            return Ok(Outcome::Taken(missing(&seats, &got)));
        }
        tx.commit().await?;
        Ok(Outcome::Done(seats))
    }

    async fn release(&self, showtime: i64, session: &str, seats: &[i64]) -> Result<Outcome, Error> {
        let released: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM design_seat_holds
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
            "UPDATE design_seat_holds SET sold = true, expires_at = 'infinity'
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
            "SELECT seat_id, sold FROM design_seat_holds
              WHERE showtime_id = $1 AND expires_at >= now()",
        )
        .bind(showtime)
        .fetch_all(&self.db)
        .await?;
        Ok(split(rows))
    }

    async fn audit(&self, showtime: i64) -> Result<(i64, i64), Error> {
        Ok(sqlx::query_as(
            "SELECT count(*), count(DISTINCT seat_id) FROM design_seat_holds
              WHERE showtime_id = $1 AND sold",
        )
        .bind(showtime)
        .fetch_one(&self.db)
        .await?)
    }
}
