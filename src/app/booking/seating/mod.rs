//! Seating rules: which free seats "best available" gives someone who asks for "N seats"
//! (optionally of one kind) instead of picking them, and which single seats a pick leaves
//! stranded.
//!
//! Pure functions of the room and what is free, so they are tested on crafted layouts below
//! and shared by both halves: the server chooses (and holds the choice with the ordinary
//! all-or-nothing hold script, choosing again if someone else got a seat first); the seat map
//! explains a manual pick that strands a seat, without asking the server.
//!
//! The rules, in order of preference:
//! 1. **Together**: `count` seats side by side in one row (consecutive grid columns: an aisle
//!    is a gap, so seats across it are not side by side);
//! 2. **Split**: two blocks in two neighbouring rows, one behind the other;
//! 3. **Scattered**: the `count` best free seats wherever they are.
//!
//! Within a rule, a choice that leaves a **single seat stranded** (one free seat between the
//! block and a taken seat, an aisle or a wall) loses to any choice that does not; among the
//! rest, the one nearest the room's sweet spot wins: the centre of the widest row, about two
//! thirds of the way back from the screen (grid row 1 is nearest the screen).
//!
//! Wheelchair spaces and companion seats are given only to someone who asks for that kind.

use std::collections::BTreeMap;

use super::model::Arrangement;
use crate::app::catalog::SeatKind;

/// One seat of the room, as the chooser sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub id: i64,
    pub row: i32,
    pub col: i32,
    pub kind: SeatKind,
    /// Neither sold nor held.
    pub free: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// In layout order.
    pub seats: Vec<i64>,
    pub arrangement: Arrangement,
    /// Single free seats this choice leaves stranded (only when no choice avoided it).
    pub stranded: Vec<i64>,
}

/// How many seats someone asking for `kind` could be given (for a wheelchair space: none
/// without a free space, else the space and every free companion or ordinary seat).
pub fn available(places: &[Place], kind: Option<SeatKind>) -> usize {
    if kind == Some(SeatKind::Wheelchair) {
        if !places
            .iter()
            .any(|p| p.free && p.kind == SeatKind::Wheelchair)
        {
            return 0;
        }
        return 1 + places
            .iter()
            .filter(|p| p.free && p.kind != SeatKind::Wheelchair)
            .count();
    }
    places.iter().filter(|p| eligible(p, kind)).count()
}

/// Whether a seat may be given to someone asking for `kind` (`None`: any ordinary seat).
fn eligible(place: &Place, kind: Option<SeatKind>) -> bool {
    place.free
        && match kind {
            Some(kind) => place.kind == kind,
            None => matches!(place.kind, SeatKind::Standard | SeatKind::Premium),
        }
}

/// A free seat anyone could buy: what counts when looking for stranded seats.
fn ordinary_free(place: &Place) -> bool {
    place.free && matches!(place.kind, SeatKind::Standard | SeatKind::Premium)
}

/// The room's geometry: its rows split into runs of side-by-side seats, and the sweet spot.
struct Room<'a> {
    /// Per grid row (front to back), its runs of seats with consecutive columns.
    rows: Vec<(i32, Vec<Vec<&'a Place>>)>,
    sweet_row: f64,
    sweet_col: f64,
    row_span: f64,
    col_span: f64,
}

impl<'a> Room<'a> {
    fn new(places: &'a [Place]) -> Self {
        let mut by_row: BTreeMap<i32, Vec<&Place>> = BTreeMap::new();
        for place in places {
            by_row.entry(place.row).or_default().push(place);
        }
        let mut rows = Vec::new();
        for (row, mut seats) in by_row {
            seats.sort_by_key(|p| p.col);
            let mut runs: Vec<Vec<&Place>> = Vec::new();
            for seat in seats {
                match runs.last_mut() {
                    Some(run) if run.last().is_some_and(|p| p.col + 1 == seat.col) => {
                        run.push(seat)
                    }
                    _ => runs.push(vec![seat]),
                }
            }
            rows.push((row, runs));
        }
        let first = rows.first().map_or(1, |r| r.0);
        let last = rows.last().map_or(1, |r| r.0);
        let min_col = places.iter().map(|p| p.col).min().unwrap_or(1);
        let max_col = places.iter().map(|p| p.col).max().unwrap_or(1);
        Self {
            rows,
            sweet_row: f64::from(first) + f64::from(last - first) * 2.0 / 3.0,
            sweet_col: f64::from(min_col + max_col) / 2.0,
            row_span: f64::from((last - first).max(1)),
            col_span: f64::from((max_col - min_col).max(1)),
        }
    }

    /// Distance of a point from the sweet spot, in room widths and depths.
    fn distance(&self, row: f64, col: f64) -> f64 {
        let dr = (row - self.sweet_row) / self.row_span;
        let dc = (col - self.sweet_col) / self.col_span;
        (dr * dr + dc * dc).sqrt()
    }

    /// Every block of `size` eligible seats side by side in row `index`.
    fn blocks(&self, index: usize, size: usize, kind: Option<SeatKind>) -> Vec<Block> {
        self.blocks_where(index, size, &|window| {
            window.iter().all(|p| eligible(p, kind))
        })
    }

    /// Every block of `size` seats side by side in row `index` that `ok` accepts.
    fn blocks_where(
        &self,
        index: usize,
        size: usize,
        ok: &dyn Fn(&[&Place]) -> bool,
    ) -> Vec<Block> {
        let (row, runs) = &self.rows[index];
        let mut blocks = Vec::new();
        for run in runs {
            if run.len() < size {
                continue;
            }
            for start in 0..=run.len() - size {
                let window = &run[start..start + size];
                if !ok(window) {
                    continue;
                }
                let mid = f64::from(window[0].col + window[size - 1].col) / 2.0;
                let mut stranded = Vec::new();
                // The free seats left between the block and the next taken seat or the end
                // of the run, on each side: exactly one is a stranded seat.
                let left = run[..start]
                    .iter()
                    .rev()
                    .take_while(|p| ordinary_free(p))
                    .count();
                if left == 1 {
                    stranded.push(run[start - 1].id);
                }
                let right = run[start + size..]
                    .iter()
                    .take_while(|p| ordinary_free(p))
                    .count();
                if right == 1 {
                    stranded.push(run[start + size].id);
                }
                blocks.push(Block {
                    seats: window.iter().map(|p| p.id).collect(),
                    row: *row,
                    mid,
                    cost: self.distance(f64::from(*row), mid),
                    stranded,
                });
            }
        }
        blocks
    }
}

#[derive(Debug, Clone)]
struct Block {
    seats: Vec<i64>,
    row: i32,
    mid: f64,
    cost: f64,
    stranded: Vec<i64>,
}

/// Orders candidates: no stranded seat first, then the lower cost; ties by position (the
/// candidate found first, i.e. nearer the screen and further left), so the choice is stable.
fn better(a: (bool, f64), b: (bool, f64)) -> bool {
    if a.0 != b.0 {
        return !a.0;
    }
    a.1 < b.1 - 1e-9
}

/// The best `count` seats of `kind` among `places`, or `None` if fewer are free.
pub fn choose(places: &[Place], count: usize, kind: Option<SeatKind>) -> Option<Choice> {
    if count == 0 || available(places, kind) < count {
        return None;
    }
    let room = Room::new(places);
    let in_layout_order = |mut seats: Vec<i64>| {
        seats.sort_by_key(|id| places.iter().position(|p| p.id == *id));
        seats
    };
    if kind == Some(SeatKind::Wheelchair) {
        return Some(wheelchair(&room, places, count, in_layout_order));
    }

    // 1. Side by side in one row.
    let mut best: Option<Block> = None;
    for index in 0..room.rows.len() {
        for block in room.blocks(index, count, kind) {
            let key = (!block.stranded.is_empty(), block.cost);
            if best
                .as_ref()
                .is_none_or(|b| better(key, (!b.stranded.is_empty(), b.cost)))
            {
                best = Some(block);
            }
        }
    }
    if let Some(block) = best {
        return Some(Choice {
            seats: in_layout_order(block.seats),
            arrangement: Arrangement::Together,
            stranded: block.stranded,
        });
    }

    // 2. Two blocks in neighbouring rows, one behind the other: the bigger part first.
    if count >= 2 {
        let mut best: Option<(Block, Block, f64)> = None;
        for index in 0..room.rows.len().saturating_sub(1) {
            if room.rows[index + 1].0 != room.rows[index].0 + 1 {
                continue;
            }
            for front_size in 1..count {
                let back_size = count - front_size;
                let fronts = room.blocks(index, front_size, kind);
                let backs = room.blocks(index + 1, back_size, kind);
                for front in &fronts {
                    for back in &backs {
                        // One behind the other: the further apart, the worse.
                        let offset = (front.mid - back.mid).abs() / room.col_span;
                        let cost = (front.cost + back.cost) / 2.0 + offset;
                        let strands = !front.stranded.is_empty() || !back.stranded.is_empty();
                        if best.as_ref().is_none_or(|(f, b, c)| {
                            let theirs = !f.stranded.is_empty() || !b.stranded.is_empty();
                            better((strands, cost), (theirs, *c))
                        }) {
                            best = Some((front.clone(), back.clone(), cost));
                        }
                    }
                }
            }
        }
        if let Some((front, back, _)) = best {
            let mut stranded = front.stranded;
            stranded.extend(back.stranded);
            let mut seats = front.seats;
            seats.extend(back.seats);
            debug_assert!(front.row + 1 == back.row);
            return Some(Choice {
                seats: in_layout_order(seats),
                arrangement: Arrangement::Split,
                stranded,
            });
        }
    }

    // 3. The best seats wherever they are.
    let mut free: Vec<&Place> = places.iter().filter(|p| eligible(p, kind)).collect();
    free.sort_by(|a, b| {
        let da = room.distance(f64::from(a.row), f64::from(a.col));
        let db = room.distance(f64::from(b.row), f64::from(b.col));
        da.total_cmp(&db)
    });
    Some(Choice {
        seats: in_layout_order(free.iter().take(count).map(|p| p.id).collect()),
        arrangement: Arrangement::Scattered,
        stranded: Vec::new(),
    })
}

/// A wheelchair space and, for a party, the seats beside it: a block with exactly one space,
/// the others companion or ordinary seats (one with a companion seat first); failing that,
/// the best space and the free seats nearest it. The caller checked a space is free.
fn wheelchair(
    room: &Room<'_>,
    places: &[Place],
    count: usize,
    in_layout_order: impl Fn(Vec<i64>) -> Vec<i64>,
) -> Choice {
    let ok = |window: &[&Place]| {
        window.iter().all(|p| p.free)
            && window
                .iter()
                .filter(|p| p.kind == SeatKind::Wheelchair)
                .count()
                == 1
    };
    let mut best: Option<(Block, f64)> = None;
    for index in 0..room.rows.len() {
        for block in room.blocks_where(index, count, &ok) {
            let companion = places
                .iter()
                .any(|p| p.kind == SeatKind::Companion && block.seats.contains(&p.id));
            let cost = block.cost + if count > 1 && !companion { 1.0 } else { 0.0 };
            let key = (!block.stranded.is_empty(), cost);
            if best
                .as_ref()
                .is_none_or(|(b, c)| better(key, (!b.stranded.is_empty(), *c)))
            {
                best = Some((block, cost));
            }
        }
    }
    if let Some((block, _)) = best {
        return Choice {
            seats: in_layout_order(block.seats),
            arrangement: Arrangement::Together,
            stranded: block.stranded,
        };
    }
    let near = |p: &Place| room.distance(f64::from(p.row), f64::from(p.col));
    let space = places
        .iter()
        .filter(|p| p.free && p.kind == SeatKind::Wheelchair)
        .min_by(|a, b| near(a).total_cmp(&near(b)))
        .expect("a free wheelchair space");
    let mut others: Vec<&Place> = places
        .iter()
        .filter(|p| p.free && p.kind != SeatKind::Wheelchair)
        .collect();
    let from_space = |p: &Place| (p.row - space.row).abs() * 100 + (p.col - space.col).abs();
    others.sort_by_key(|p| from_space(p));
    let mut seats = vec![space.id];
    seats.extend(others.iter().take(count - 1).map(|p| p.id));
    Choice {
        seats: in_layout_order(seats),
        arrangement: Arrangement::Scattered,
        stranded: Vec::new(),
    }
}

/// Single free seats that `mine` (a hold just made) leaves stranded next to it: for the
/// short explanation a manual pick gets.
pub fn stranded_by(places: &[Place], mine: &[i64]) -> Vec<i64> {
    let room = Room::new(places);
    let mut stranded = Vec::new();
    for (_, runs) in &room.rows {
        for run in runs {
            for (i, place) in run.iter().enumerate() {
                if !ordinary_free(place) {
                    continue;
                }
                let taken =
                    |j: Option<usize>| j.and_then(|j| run.get(j)).is_none_or(|p| !ordinary_free(p));
                let mine_beside = [i.checked_sub(1), Some(i + 1)]
                    .into_iter()
                    .flatten()
                    .filter_map(|j| run.get(j))
                    .any(|p| mine.contains(&p.id));
                if mine_beside && taken(i.checked_sub(1)) && taken(Some(i + 1)) {
                    stranded.push(place.id);
                }
            }
        }
    }
    stranded
}

#[cfg(test)]
mod tests;
