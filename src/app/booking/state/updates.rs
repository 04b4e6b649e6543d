//! The server's word applied to the page's booking state: a snapshot, a live change, the
//! answer about this person's hold, an offer from the line, and the hold running out.

use std::collections::BTreeSet;

use leptos::prelude::*;

use super::{BookingState, Notice};
use crate::app::booking::live::SeatChange;
use crate::app::booking::model::{HoldStatus, SeatMapState, SeatState};
use crate::app::platform::now_ms;

impl BookingState {
    /// The waiting line offers this person seats: they are already `mine` (the delta before
    /// the offer said so); show them as an offer with its own deadline.
    pub fn apply_offer(&self, seat_ids: &[i64], expires_in_ms: i64) {
        for &id in seat_ids {
            self.set_state(id, SeatState::Mine);
        }
        self.mine
            .update(|mine| mine.extend(seat_ids.iter().copied()));
        self.deadline.set(Some(now_ms() + expires_in_ms as f64));
        self.extensions_left.set(0);
        self.line.set(None);
        self.offer.set(true);
        self.notice.set(None);
    }

    /// The countdown of the hold the server reported (`None`: no hold, no countdown).
    fn set_countdown(&self, hold: Option<&HoldStatus>) {
        match hold {
            Some(hold) => {
                self.deadline
                    .set(Some(now_ms() + hold.expires_in_ms as f64));
                self.initial_left_ms.set(Some(hold.expires_in_ms));
                self.extensions_left.set(hold.extensions_left);
            }
            None => {
                self.deadline.set(None);
                self.initial_left_ms.set(None);
            }
        }
    }

    /// Makes the local picture match the server's answer about this person's hold.
    pub fn apply_hold(&self, hold: Option<HoldStatus>) {
        let hold = hold.filter(|h| !h.seat_ids.is_empty());
        let now_mine: BTreeSet<i64> = hold
            .as_ref()
            .map(|h| h.seat_ids.iter().copied().collect())
            .unwrap_or_default();
        for id in self.mine.get_untracked().difference(&now_mine) {
            if self.seat(*id).get_untracked() == SeatState::Mine {
                self.set_state(*id, SeatState::Available);
            }
        }
        for id in &now_mine {
            self.set_state(*id, SeatState::Mine);
        }
        self.mine.set(now_mine);
        self.set_countdown(hold.as_ref());
        if hold.is_none() {
            self.offer.set(false);
        }
    }

    /// Replaces the whole picture with a snapshot: the page's first one, or one from the
    /// live feed.
    pub fn apply_snapshot(&self, state: &SeatMapState) {
        let sold: BTreeSet<i64> = state.sold.iter().copied().collect();
        let held: BTreeSet<i64> = state.held.iter().copied().collect();
        let mine: BTreeSet<i64> = state
            .hold
            .as_ref()
            .map(|h| h.seat_ids.iter().copied().collect())
            .unwrap_or_default();
        self.seats.with_value(|seats| {
            for (id, signal) in seats {
                let value = if sold.contains(id) {
                    SeatState::Sold
                } else if mine.contains(id) {
                    SeatState::Mine
                } else if held.contains(id) {
                    SeatState::Held
                } else {
                    SeatState::Available
                };
                if signal.get_untracked() != value {
                    signal.set(value);
                }
            }
        });
        self.mine.set(mine);
        self.set_countdown(state.hold.as_ref().filter(|h| !h.seat_ids.is_empty()));
        self.offer
            .set(state.offer && self.mine.with_untracked(|m| !m.is_empty()));
        self.line.set(state.line);
        self.version.set_value(state.version);
    }

    /// Applies one live change. Returns `false` when it does not follow the version this
    /// page has (a missed message): the caller then asks for a snapshot.
    pub fn apply_delta(
        &self,
        version: u64,
        changes: &[SeatChange],
        hold_expires_in_ms: Option<i64>,
    ) -> bool {
        let current = self.version.get_value();
        if version <= current {
            return true; // already reflected (e.g. in the snapshot)
        }
        if version != current + 1 {
            return false;
        }
        self.version.set_value(version);
        let mut lost_mine = false;
        for change in changes {
            if self.seat(change.seat).get_untracked() == SeatState::Mine
                && change.state != SeatState::Mine
            {
                lost_mine = true;
            }
            self.mark(change.seat, change.state);
        }
        if let Some(left) = hold_expires_in_ms {
            self.deadline.set(Some(now_ms() + left as f64));
        }
        if lost_mine && self.mine.with_untracked(|m| m.is_empty()) {
            // Our hold is over: ran out (the sweeper announced it a moment before our own
            // countdown reached zero) or released or bought in another tab.
            let ran_out = self
                .deadline
                .get_untracked()
                .is_some_and(|deadline| deadline - now_ms() < 2_000.0);
            if ran_out {
                self.expire();
            } else {
                self.deadline.set(None);
                self.offer.set(false);
            }
        }
        true
    }

    /// The hold ran out: every seat of it is free again.
    pub fn expire(&self) {
        let message = if self.offer.get_untracked() {
            "The seats offered to you were not bought in time and went to the next person in \
             line."
        } else {
            "Your hold expired and the seats were released. Pick seats again to continue."
        };
        self.apply_hold(None);
        self.notice.set(Some(Notice::Error(message.into())));
    }
}
