//! The sweeper: announces holds whose time is up, and gives their seats to the waiting line.
//!
//! Redis frees a seat by itself when its hold key's TTL passes, even if every app instance is
//! down; this task only makes sure everyone *hears* about it promptly (an event with a new
//! version), which keyspace notifications cannot promise, and that people waiting in line get
//! the freed seats (a lapsed offer included) without waiting for someone else to act. Every
//! instance runs one; the scripts are atomic, so two sweepers on one showtime announce each
//! expiry once and offer each seat once.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::server::AppState;

pub fn spawn(state: AppState, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Lines that still need serving: an announced expiry is not announced again, so a
        // failed serve is retried from here until it succeeds.
        let mut unserved = BTreeSet::new();
        loop {
            ticker.tick().await;
            match state.holds.sweep().await {
                Ok((freed, waiting)) => {
                    if freed > 0 {
                        tracing::debug!(freed, "expired holds announced");
                    }
                    unserved.extend(waiting);
                }
                Err(error) => tracing::warn!(?error, "sweep failed; retrying next tick"),
            }
            let mut failed = BTreeSet::new();
            for showtime in std::mem::take(&mut unserved) {
                if let Err(error) = serve(&state, showtime).await {
                    tracing::warn!(?error, showtime, "serving the line failed; retrying");
                    failed.insert(showtime);
                }
            }
            unserved = failed;
        }
    })
}

async fn serve(state: &AppState, showtime: i64) -> Result<u32, crate::app::error::AppError> {
    let showtime = state.showtimes.get(&state.db, showtime).await?;
    state.line.serve(&state.db, &showtime).await
}
