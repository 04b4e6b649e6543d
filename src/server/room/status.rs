//! A person's standing from a tick of the room: their state, place, and an estimate that
//! says whether it is measured or a guess.

use chrono::{DateTime, Utc};

use super::OnSale;
use super::contracts::Ticked;
use crate::app::room::{EtaBasis, Phase, QueueState, QueueStatus};

/// Before this many admissions in the last minute, or this long after the opening, the
/// measured rate says too little: the estimate uses the configured one (and says so).
const MEASURED_MIN_ADMISSIONS: u32 = 3;
const MEASURED_MIN_WINDOW_MS: i64 = 10_000;

/// A queue status from a tick's answer.
pub(super) fn status_from(on_sale: &OnSale, entry: Option<&str>, ticked: &Ticked) -> QueueStatus {
    let now = DateTime::<Utc>::from_timestamp_millis(ticked.now_ms).unwrap_or_else(Utc::now);
    let phase = on_sale.phase_at(now);
    let state = match (entry, ticked.state.as_deref()) {
        (Some(_), Some("waiting")) => QueueState::Waiting,
        (Some(_), Some("admitted")) => QueueState::Admitted,
        (Some(_), Some("left")) => QueueState::Left,
        (Some(_), Some("expired")) => QueueState::Expired,
        _ => QueueState::Out,
    };
    let opens_in_ms = match phase {
        Phase::Upcoming => Some(on_sale.queue_opens_at.timestamp_millis() - ticked.now_ms),
        Phase::Drawing => Some(on_sale.opens_ms() - ticked.now_ms),
        Phase::Open => None,
    }
    .map(|ms| ms.max(0) as u64);
    let (eta_secs, eta_basis) = match (state, ticked.position) {
        (QueueState::Waiting, Some(position)) => {
            let (per_minute, basis) = measured_rate(on_sale, ticked);
            let secs = (f64::from(position) * 60.0 / per_minute).ceil() as u64;
            (Some(secs), Some(basis))
        }
        _ => (None, None),
    };
    QueueStatus {
        on_sale: on_sale.id,
        phase,
        state,
        entry: entry.map(str::to_owned),
        position: ticked.position,
        waiting: if phase == Phase::Open {
            ticked.waiting
        } else {
            0
        },
        shopping: ticked.active,
        opens_in_ms,
        eta_secs,
        eta_basis,
        admission_ends_in_ms: ticked
            .until_ms
            .filter(|_| state == QueueState::Admitted)
            .map(|until| (until - ticked.now_ms).max(0) as u64),
        showtime_ids: on_sale.showtime_ids.clone(),
    }
}

/// Admissions per minute: measured over the last minute once enough have happened, else the
/// configured rate (a guess).
fn measured_rate(on_sale: &OnSale, ticked: &Ticked) -> (f64, EtaBasis) {
    let window = (ticked.now_ms - on_sale.opens_ms()).clamp(0, 60_000);
    if ticked.admitted_last_minute >= MEASURED_MIN_ADMISSIONS && window >= MEASURED_MIN_WINDOW_MS {
        let rate = f64::from(ticked.admitted_last_minute) * 60_000.0 / window as f64;
        (rate, EtaBasis::Measured)
    } else {
        (f64::from(on_sale.admit_per_minute), EtaBasis::Configured)
    }
}
