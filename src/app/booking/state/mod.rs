//! The booking state of one showtime page, shared by the seat map, the timer, the summary
//! and the checkout form: every seat's state, this person's hold and its countdown, the
//! waiting line, the purchase attempt awaiting an answer, and the seats' prices (the one
//! place a seat's price and the hold's total are worked out).
//!
//! Each seat has its own signal, so a change to one seat re-renders that seat's button only.
//! What the server says (a snapshot, a live change, the answer about the hold) is applied in
//! `updates.rs`.

mod updates;

use std::collections::{BTreeSet, HashMap};

use leptos::prelude::*;

use super::api::{hold_seats, release_seats};
use super::attempt::PurchaseAttempt;
use super::forms::PageExtras;
use super::hold_timer::countdown;
use super::model::{HoldStatus, LinePlace, SeatMapState, SeatState};
use crate::app::catalog::ShowtimeDetail;
use crate::app::error::AppError;

/// A message for the person about their last action (shown beside the seat map).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Notice {
    Info(String),
    Error(String),
}

#[derive(Clone, Copy)]
pub struct BookingState {
    pub showtime_id: i64,
    seats: StoredValue<HashMap<i64, RwSignal<SeatState>>>,
    /// Seat ids of this person's hold.
    pub mine: RwSignal<BTreeSet<i64>>,
    /// When the hold ends, in this browser's clock (ms since epoch); `None` without a hold.
    pub deadline: RwSignal<Option<f64>>,
    /// The hold's time left as the server reported it, for the first (server) render.
    pub initial_left_ms: RwSignal<Option<i64>>,
    /// The hold's time left in ms, from the page's one clock (`hold_timer::countdown`).
    pub left_ms: Memo<Option<i64>>,
    /// Whether that clock is ticking yet (in the browser, once hydrated).
    pub ticking: Signal<bool>,
    pub extensions_left: RwSignal<u32>,
    pub notice: RwSignal<Option<Notice>>,
    /// What the screen reader should say next (`announce.rs`).
    pub announcement: RwSignal<String>,
    /// This person's place in the waiting line, while they wait.
    pub line: RwSignal<Option<LinePlace>>,
    /// Their hold is seats the waiting line offered them.
    pub offer: RwSignal<bool>,
    /// Where they stand in the waiting room of the showtime's on-sale, if they took a place.
    pub queue: RwSignal<Option<crate::app::room::QueueStatus>>,
    /// The purchase sent without a definitive answer yet, whose key a retry must reuse.
    pub attempt: RwSignal<Option<PurchaseAttempt>>,
    /// The largest party that may wait in line: the most seats one person may hold, or the
    /// auditorium's size if that is smaller.
    pub max_party: u32,
    /// Seat names for messages ("C7").
    names: StoredValue<HashMap<i64, String>>,
    /// Seat prices in cents; a seat whose kind has no price is missing (a data error the
    /// seat map shows as "price unavailable").
    prices: StoredValue<HashMap<i64, i64>>,
    /// The showtime version the seat signals reflect (from the snapshot and live deltas).
    version: StoredValue<u64>,
    /// When the hold ends on the theater's clock, as the server rendered it: what the page
    /// shows until the browser counts down.
    pub hold_until: RwSignal<Option<String>>,
    /// What the server's render knew beyond the seats (`forms.rs`): checkout's key, and the
    /// outcome of a form just posted.
    pub extras: StoredValue<PageExtras>,
}

impl BookingState {
    /// The state of a showtime page: its seats, names and prices from `detail`, everything
    /// else from the viewer's snapshot and the server render's `extras`.
    pub fn new(state: &SeatMapState, detail: &ShowtimeDetail, extras: PageExtras) -> Self {
        let seats = &detail.layout.seats;
        let names: HashMap<i64, String> = seats.iter().map(|s| (s.id, s.short_name())).collect();
        let prices: HashMap<i64, i64> = seats
            .iter()
            .filter_map(|s| Some((s.id, detail.price_of(s.kind)?)))
            .collect();
        let deadline = RwSignal::new(None);
        let initial_left_ms = RwSignal::new(None);
        let (left_ms, ticking) = countdown(deadline, initial_left_ms);
        let this = Self {
            showtime_id: state.showtime_id,
            seats: StoredValue::new(
                names
                    .keys()
                    .map(|&id| (id, RwSignal::new(SeatState::Available)))
                    .collect(),
            ),
            mine: RwSignal::new(BTreeSet::new()),
            deadline,
            initial_left_ms,
            left_ms,
            ticking,
            extensions_left: RwSignal::new(0),
            notice: RwSignal::new(extras.notice.clone()),
            announcement: RwSignal::new(String::new()),
            line: RwSignal::new(None),
            offer: RwSignal::new(false),
            queue: RwSignal::new(None),
            attempt: RwSignal::new(None),
            max_party: state
                .max_seats
                .min(u32::try_from(names.len()).unwrap_or(u32::MAX)),
            names: StoredValue::new(names),
            prices: StoredValue::new(prices),
            version: StoredValue::new(state.version),
            hold_until: RwSignal::new(extras.hold_until.clone()),
            extras: StoredValue::new(extras),
        };
        this.apply_snapshot(state);
        this
    }

    /// The signal of one seat's state.
    pub fn seat(&self, id: i64) -> RwSignal<SeatState> {
        self.seats
            .with_value(|s| s.get(&id).copied())
            .unwrap_or_else(|| RwSignal::new(SeatState::Sold))
    }

    /// How many seats are free right now (tracked: re-runs as seats change).
    pub fn free_count(&self) -> usize {
        self.seats.with_value(|seats| {
            seats
                .values()
                .filter(|s| s.get() == SeatState::Available)
                .count()
        })
    }

    /// Runs a server call for a button: `busy` while it runs, `done` with its answer, or its
    /// error shown as the booking notice.
    pub fn act<T: 'static>(
        &self,
        busy: RwSignal<bool>,
        call: impl Future<Output = Result<T, AppError>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        let notice = self.notice;
        busy.set(true);
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(answer) => done(answer),
                Err(error) => notice.set(Some(Notice::Error(error.to_string()))),
            }
            busy.set(false);
        });
    }

    pub fn name(&self, id: i64) -> String {
        self.names
            .with_value(|n| n.get(&id).cloned())
            .unwrap_or_else(|| format!("#{id}"))
    }

    /// A seat's price in cents (`None`: the showtime has no price for its kind).
    pub fn price(&self, id: i64) -> Option<i64> {
        self.prices.with_value(|p| p.get(&id).copied())
    }

    /// What this person's hold costs, in cents (tracked: re-runs as the hold changes).
    pub fn total(&self) -> i64 {
        self.mine
            .with(|mine| mine.iter().filter_map(|&id| self.price(id)).sum())
    }

    /// What these seats cost, in cents.
    pub fn total_of(&self, seats: &[i64]) -> i64 {
        seats.iter().filter_map(|&id| self.price(id)).sum()
    }

    /// The seats checkout is for (tracked; sorted; empty: no checkout). The hold; or, without
    /// one, the seats of the purchase attempt awaiting an answer if they are all sold now:
    /// they may have been sold to this person (an answer lost after the card was charged),
    /// and only a retry with the attempt's key can tell, so checkout stays open for it. If
    /// any of them is not sold, that attempt bought nothing.
    pub fn checkout_seats(&self) -> Vec<i64> {
        let mine: Vec<i64> = self.mine.with(|mine| mine.iter().copied().collect());
        if !mine.is_empty() {
            return mine;
        }
        let sold = |id: &i64| {
            self.seats.with_value(|seats| {
                seats
                    .get(id)
                    .is_some_and(|seat| seat.get() == SeatState::Sold)
            })
        };
        self.attempt.with(|attempt| match attempt {
            Some(attempt) if attempt.seats.iter().all(sold) => attempt.seats.clone(),
            _ => Vec::new(),
        })
    }

    /// Picks up the purchase attempt this tab stored before a reload. In an effect: effects
    /// run in the browser only, after hydration, so the server's HTML (which knows nothing of
    /// the tab's storage) hydrates unchanged.
    pub fn restore_attempt(&self) {
        let (attempt, showtime_id) = (self.attempt, self.showtime_id);
        Effect::new(move |_| attempt.set(PurchaseAttempt::load(showtime_id)));
    }

    fn set_state(&self, id: i64, value: SeatState) {
        self.seat(id).set(value);
    }

    /// Sets a seat's state and keeps `mine` in step with it.
    fn mark(&self, id: i64, value: SeatState) {
        self.set_state(id, value);
        self.mine.update(|mine| {
            if value == SeatState::Mine {
                mine.insert(id);
            } else {
                mine.remove(&id);
            }
        });
    }

    /// A click on a seat: hold it if free, release it if it is ours.
    pub fn toggle(&self, id: i64) {
        match self.seat(id).get_untracked() {
            SeatState::Available => self.change_optimistically(
                id,
                SeatState::Mine,
                hold_seats(self.showtime_id, vec![id]),
            ),
            SeatState::Mine => self.change_optimistically(
                id,
                SeatState::Available,
                release_seats(self.showtime_id, vec![id]),
            ),
            SeatState::Held => {
                self.notice.set(Some(Notice::Error(format!(
                    "Seat {} is already taken by someone else. Please pick another seat.",
                    self.name(id)
                ))));
            }
            SeatState::Sold => {
                self.notice.set(Some(Notice::Error(format!(
                    "Seat {} is sold. Please pick another seat.",
                    self.name(id)
                ))));
            }
        }
    }

    /// Holding or releasing one seat, optimistically: it shows as `to` at once, and goes back
    /// to what it was if the server says no (or to `held`, if the seat we tried to hold was
    /// just taken by someone else), with the reason as the notice.
    fn change_optimistically(
        &self,
        id: i64,
        to: SeatState,
        call: impl Future<Output = Result<HoldStatus, AppError>> + 'static,
    ) {
        let this = *self;
        let from = self.seat(id).get_untracked();
        self.mark(id, to);
        self.notice.set(None);
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(hold) => this.apply_hold(Some(hold)),
                Err(error) => {
                    let back = match (&error, from) {
                        (AppError::SeatTaken { .. }, SeatState::Available) => SeatState::Held,
                        _ => from,
                    };
                    this.mark(id, back);
                    this.fail(id, error);
                }
            }
        });
    }

    fn fail(&self, id: i64, error: AppError) {
        let message = match error {
            AppError::SeatTaken { .. } => format!(
                "Seat {} was just taken by someone else. Please pick another seat.",
                self.name(id)
            ),
            AppError::HoldExpired { .. } => {
                self.apply_hold(None);
                "Your hold expired. Pick seats again to continue.".to_string()
            }
            other => format!("Seat {}: {other}", self.name(id)),
        };
        self.notice.set(Some(Notice::Error(message)));
    }
}
