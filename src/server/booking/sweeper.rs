//! The sweeper: announces holds whose time is up.
//!
//! Redis frees a seat by itself when its hold key's TTL passes, even if every app instance is
//! down; this task only makes sure everyone *hears* about it promptly (an event with a new
//! version), which keyspace notifications cannot promise. Every instance runs one; the
//! scripts are atomic, so two sweepers on one showtime announce each expiry once.

use std::time::Duration;

use super::holds::HoldEngine;

pub fn spawn(holds: HoldEngine, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match holds.sweep().await {
                Ok(0) => {}
                Ok(freed) => tracing::debug!(freed, "expired holds announced"),
                Err(error) => tracing::warn!(?error, "sweep failed; retrying next tick"),
            }
        }
    })
}
