//! An on-sale's waiting room as both sides see it: what `/api/on_sales/…` answers and what
//! the live socket sends a person waiting in it (`docs/api.md`, "On-sales").

use serde::{Deserialize, Serialize};

/// An on-sale, as anyone may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnSaleInfo {
    pub id: i64,
    pub name: String,
    /// RFC 3339: when the seat maps open and the drawn places are served.
    pub opens_at: String,
    /// RFC 3339: from when places are taken (and drawn at the opening).
    pub queue_opens_at: String,
    pub admit_per_minute: u32,
    pub max_active: u32,
    pub showtime_ids: Vec<i64>,
    /// `upcoming` (no places yet), `drawing` (places taken, drawn at the opening), `open`.
    pub phase: Phase,
    /// SHA-256 of the draw's seed, hex: published before the opening.
    pub commitment: String,
    /// The seed itself, hex: published once the on-sale has opened.
    pub seed: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Upcoming,
    Drawing,
    Open,
}

/// The draw, revealed at the opening: anyone can redo it from `seed` and `entries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    pub seed: String,
    pub commitment: String,
    /// Everyone who took a place before the opening, by entry id (sorted; ids only).
    pub entries: Vec<String>,
    /// The same entries in the order they were served: by the first 12 hex digits of
    /// SHA-1("<seed>:<entry>") read as a number, then by entry id.
    pub order: Vec<String>,
}

/// Where one session stands in an on-sale's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStatus {
    pub on_sale: i64,
    pub phase: Phase,
    pub state: QueueState,
    /// This session's entry id (to check its place in the published draw).
    pub entry: Option<String>,
    /// 1 = next to be admitted. Only once the on-sale has opened (before, places are not
    /// drawn yet).
    pub position: Option<u32>,
    /// People waiting in the queue (after the opening).
    pub waiting: u32,
    /// People admitted and shopping now (at most the on-sale's `max_active`).
    pub shopping: u32,
    /// Until the opening (when the queue opens, in the `upcoming` phase).
    pub opens_in_ms: Option<u64>,
    /// An estimate of the wait, from the admission rate.
    pub eta_secs: Option<u64>,
    /// `measured`: the rate of the last minute's admissions; `configured`: not enough have
    /// happened yet, so the on-sale's configured rate is used (a guess).
    pub eta_basis: Option<EtaBasis>,
    /// For an admitted person: how long the admission still lasts.
    pub admission_ends_in_ms: Option<u64>,
    pub showtime_ids: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// No place (yet).
    Out,
    /// A place, in the queue.
    Waiting,
    /// Admitted: may hold and buy until `admission_ends_in_ms`.
    Admitted,
    /// Gave the place up.
    Left,
    /// The admission ran out.
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EtaBasis {
    Measured,
    Configured,
}
