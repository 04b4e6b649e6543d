//! The seat map's keyboard model: where each key takes the focus from a seat.

use std::collections::{BTreeMap, HashMap};

use crate::app::catalog::Seat;

/// Where each key takes the focus from a seat.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Moves {
    left: Option<i64>,
    right: Option<i64>,
    up: Option<i64>,
    down: Option<i64>,
    home: Option<i64>,
    end: Option<i64>,
    first_row: Option<i64>,
    last_row: Option<i64>,
}

impl Moves {
    pub fn target(&self, key: &str) -> Option<i64> {
        match key {
            "ArrowLeft" => self.left,
            "ArrowRight" => self.right,
            "ArrowUp" => self.up,
            "ArrowDown" => self.down,
            "Home" => self.home,
            "End" => self.end,
            "PageUp" => self.first_row,
            "PageDown" => self.last_row,
            _ => None,
        }
    }
}

/// The keyboard model of a layout: left and right go to the neighbouring seat in the row
/// (across an aisle too: there is no seat in between to stop at), up and down to the seat of
/// the row in front or behind nearest in column, Home/End to the row's ends, PageUp/PageDown
/// to the nearest seat of the front and back rows. Row 1 is nearest the screen, drawn at the
/// top, so "up" is towards the screen.
pub fn keyboard_moves(seats: &[Seat]) -> HashMap<i64, Moves> {
    let mut rows: BTreeMap<i32, Vec<(i32, i64)>> = BTreeMap::new();
    for seat in seats {
        rows.entry(seat.grid_row)
            .or_default()
            .push((seat.grid_col, seat.id));
    }
    for row in rows.values_mut() {
        row.sort_unstable();
    }
    let rows: Vec<Vec<(i32, i64)>> = rows.into_values().collect();
    let nearest = |row: &[(i32, i64)], col: i32| {
        row.iter()
            .min_by_key(|(c, _)| ((c - col).abs(), *c))
            .map(|(_, id)| *id)
    };
    let mut moves = HashMap::new();
    for (r, row) in rows.iter().enumerate() {
        for (i, &(col, id)) in row.iter().enumerate() {
            let other = |index: Option<usize>| index.and_then(|j| rows.get(j));
            moves.insert(
                id,
                Moves {
                    left: i.checked_sub(1).map(|j| row[j].1),
                    right: row.get(i + 1).map(|s| s.1),
                    up: other(r.checked_sub(1)).and_then(|row| nearest(row, col)),
                    down: other(Some(r + 1)).and_then(|row| nearest(row, col)),
                    home: row.first().map(|s| s.1),
                    end: row.last().map(|s| s.1),
                    first_row: rows.first().and_then(|row| nearest(row, col)),
                    last_row: rows.last().and_then(|row| nearest(row, col)),
                },
            );
        }
    }
    moves
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::catalog::SeatKind;

    fn seat(id: i64, row: i32, col: i32) -> Seat {
        Seat {
            id,
            row_label: row.to_string(),
            number: col,
            grid_row: row,
            grid_col: col,
            kind: SeatKind::Standard,
        }
    }

    #[test]
    fn arrows_skip_aisles_and_find_the_nearest_seat_in_the_next_row() {
        // Row 1: columns 1, 2, (aisle), 4. Row 2: columns 2, 3. Row 3: column 4.
        let seats = [
            seat(11, 1, 1),
            seat(12, 1, 2),
            seat(14, 1, 4),
            seat(22, 2, 2),
            seat(23, 2, 3),
            seat(34, 3, 4),
        ];
        let moves = keyboard_moves(&seats);
        assert_eq!(moves[&12].right, Some(14), "over the aisle");
        assert_eq!(moves[&14].right, None);
        assert_eq!(moves[&11].left, None);
        assert_eq!(moves[&11].down, Some(22), "nearest column");
        assert_eq!(moves[&14].down, Some(23));
        assert_eq!(moves[&23].up, Some(12), "a tie goes left");
        assert_eq!(moves[&22].home, Some(22));
        assert_eq!(moves[&22].end, Some(23));
        assert_eq!(moves[&34].first_row, Some(14));
        assert_eq!(moves[&11].last_row, Some(34));
        assert_eq!(moves[&11].target("ArrowRight"), Some(12));
        assert_eq!(moves[&11].target("a"), None);
    }
}
