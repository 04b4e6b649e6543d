//! The reconciler: makes money, orders and Redis agree again after something died.
//!
//! Every instance runs one; a Postgres advisory lock (held for the length of a pass, by a
//! transaction, so a crashed instance lets go at once, and a frozen one once the transaction
//! has been idle for twice `PAYMENT_STALE_SECS`) makes sure one pass runs at a time across
//! all of them. A pass:
//! 1. settles payments whose purchase is gone: an order `pending` for longer than
//!    `PAYMENT_STALE_SECS` is settled with the gateway (captured: paid and settled; nothing
//!    captured: voided there for good, and failed here, its seats free);
//! 2. finishes paid orders that were never settled in Redis (a crash, Redis down);
//! 3. makes Redis agree with Postgres for every showtime still to come: every sold seat in
//!    the sold set and held by nobody; a showtime whose Redis state was lost (a flush, a
//!    restart) is rebuilt, which makes every viewer resync;
//! 4. lets the keys of finished showtimes expire.
//!
//! Each step is idempotent, so a pass cut short is simply run again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::orders::{self, OrderStatus};
use super::purchase;
use crate::server::AppState;
use crate::server::telemetry::metrics;

/// The advisory lock's key: "marquee reconciler".
const LOCK: i64 = 0x6d61_7271_7565_6501;

/// How long a finished showtime's keys are kept after it ends (the seat map of a showtime
/// that just ended stays viewable).
const KEEP_AFTER_END: Duration = Duration::from_secs(3600);

pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The first pass after one interval: a starting instance has nothing to repair
        // that cannot wait that long, and its first requests get Redis to itself.
        let every = state.settings.reconcile_interval;
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let started = std::time::Instant::now();
            let passed = pass(&state).await;
            metrics::reconciler_pass(&passed, started.elapsed());
            match passed {
                Ok(Some(report)) if report.is_news() => tracing::info!(?report, "reconciled"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "reconciler pass failed; retrying"),
            }
        }
    })
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct Report {
    pub settled: u32,
    pub failed: u32,
    pub unresolved: u32,
    pub fulfilled: u32,
    pub showtimes: u32,
    pub retired: u32,
    /// Staff refunds finished for a process that died mid-refund.
    pub refunds: u32,
}

impl Report {
    fn is_news(&self) -> bool {
        self.settled + self.failed + self.unresolved + self.fulfilled > 0
    }
}

/// One pass, if no other instance is running one (`None` then).
pub async fn pass(state: &AppState) -> Result<Option<Report>, sqlx::Error> {
    let mut guard = state.db.begin().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(LOCK)
        .fetch_one(&mut *guard)
        .await?;
    if !locked {
        return Ok(None);
    }
    // An instance frozen mid-pass (stopped, swapped out) would hold the lock for as long as
    // its connection lives: Postgres ends the transaction once it sits idle this long, and
    // another instance takes over (every step is idempotent, so an overlap is harmless).
    let idle_ms = (state.settings.payment_stale * 2).as_millis();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET LOCAL idle_in_transaction_session_timeout = {idle_ms}"
    )))
    .execute(&mut *guard)
    .await?;
    let mut report = Report::default();
    settle_orders(state, &mut report).await?;
    report.refunds = crate::server::staff::box_office::finish_refunds(state)
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot list unfinished refunds");
            0
        });
    for showtime in upcoming(state).await? {
        sync_showtime(state, showtime).await;
        free_stale(state, showtime).await;
        report.showtimes += 1;
    }
    report.retired = retire_finished(state).await?;
    guard.commit().await?;
    Ok(Some(report))
}

async fn settle_orders(state: &AppState, report: &mut Report) -> Result<(), sqlx::Error> {
    let stale = state.settings.payment_stale;
    let unsettled = match orders::unsettled(&state.db, stale, state.settings.payment_timeout).await
    {
        Ok(unsettled) => unsettled,
        Err(error) => {
            tracing::warn!(?error, "cannot list unsettled orders");
            return Ok(());
        }
    };
    for order in unsettled {
        match order.status {
            OrderStatus::Pending => match purchase::resolve_pending(state, &order).await {
                Ok(OrderStatus::Failed) => report.failed += 1,
                Ok(_) => report.settled += 1,
                Err(error) => {
                    tracing::warn!(?error, order = order.id, "pending payment not settled");
                    report.unresolved += 1;
                }
            },
            OrderStatus::Paid => match purchase::settle(state, &order).await {
                Ok(()) => report.fulfilled += 1,
                Err(error) => tracing::warn!(?error, order = order.id, "paid order not settled"),
            },
            _ => {}
        }
    }
    Ok(())
}

/// Showtimes still to come.
async fn upcoming(state: &AppState) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM showtimes WHERE starts_at > now() ORDER BY starts_at")
        .fetch_all(&state.db)
        .await
}

/// Makes Redis agree with Postgres about one showtime's sold seats (and rebuilds its state
/// if Redis lost it). Failures are logged: the next pass tries again.
pub async fn sync_showtime(state: &AppState, showtime: i64) {
    let sold: Result<Vec<(i64, String)>, _> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.seat_id, o.session_id FROM tickets t JOIN orders o ON o.id = t.order_id
          WHERE t.showtime_id = $1 AND t.active AND o.status IN {} ORDER BY t.seat_id",
        orders::SOLD_STATUSES
    )))
    .bind(showtime)
    .fetch_all(&state.db)
    .await;
    let synced = match sold {
        Ok(sold) => state.holds.mark_sold(&state.db, showtime, &sold).await,
        Err(error) => Err(error.into()),
    };
    if let Err(error) = synced {
        tracing::warn!(?error, showtime, "Redis not yet in agreement with Postgres");
    }
}

/// Seats Redis counts as sold while Postgres has them free (no active ticket, no block) on
/// two passes in a row are freed, to the waiting line first. Nothing else ever takes a seat
/// out of the sold set but a refund or an unblock, and either may be cut short (a crash, a
/// lost Redis reply) or undone by a pass of this reconciler that read the seat as sold just
/// before. Two passes, because a block is written to Redis just before its Postgres
/// transaction commits.
async fn free_stale(state: &AppState, showtime: i64) {
    let sold: Result<Vec<i64>, _> = redis::cmd("SMEMBERS")
        .arg(state.holds.keys(showtime).sold())
        .query_async(&mut state.redis.clone())
        .await;
    let Ok(sold) = sold else { return };
    let taken: Result<Vec<i64>, _> = sqlx::query_scalar(
        "SELECT seat_id FROM tickets WHERE showtime_id = $1 AND active
         UNION SELECT seat_id FROM seat_blocks WHERE showtime_id = $1",
    )
    .bind(showtime)
    .fetch_all(&state.db)
    .await;
    let Ok(taken) = taken else { return };
    let stale: HashSet<i64> = sold.into_iter().filter(|s| !taken.contains(s)).collect();
    let confirmed: Vec<i64> = {
        let mut suspects = SUSPECTS.lock().unwrap_or_else(|e| e.into_inner());
        let before = suspects.remove(&showtime).unwrap_or_default();
        let confirmed = stale.intersection(&before).copied().collect();
        if !stale.is_empty() {
            suspects.insert(showtime, stale);
        }
        confirmed
    };
    if !confirmed.is_empty() {
        tracing::warn!(showtime, seats = ?confirmed, "seats sold in Redis but free in Postgres: freed");
        crate::server::staff::box_office::free_seats(state, showtime, &confirmed).await;
    }
}

/// Seats found sold in Redis but free in Postgres on the last pass, per showtime.
static SUSPECTS: std::sync::LazyLock<std::sync::Mutex<HashMap<i64, HashSet<i64>>>> =
    std::sync::LazyLock::new(Default::default);

/// Showtimes that ended in the last two days: their keys expire an hour after the end.
async fn retire_finished(state: &AppState) -> Result<u32, sqlx::Error> {
    let ended: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT s.id, (extract(epoch FROM s.starts_at) * 1000)::bigint
                      + m.runtime_minutes::bigint * 60000
           FROM showtimes s JOIN movies m ON m.id = s.movie_id
          WHERE s.starts_at + make_interval(mins => m.runtime_minutes) < now()
            AND s.starts_at > now() - interval '2 days'",
    )
    .fetch_all(&state.db)
    .await?;
    let mut retired = 0;
    for (showtime, ends_at_ms) in ended {
        let at = ends_at_ms + i64::try_from(KEEP_AFTER_END.as_millis()).unwrap_or(0);
        match state.holds.retire(showtime, at).await {
            Ok(()) => retired += 1,
            Err(error) => tracing::warn!(?error, showtime, "could not retire a showtime's keys"),
        }
    }
    Ok(retired)
}
