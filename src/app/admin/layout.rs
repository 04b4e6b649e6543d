//! An auditorium's layout as staff write it: one line per grid row, the row's label, a colon,
//! then one character per grid column.
//!
//! ```text
//! A: ss.ssssss.ss
//! B: pp.pppppp.pp
//!
//! C: wc........cw
//! ```
//!
//! `s` standard, `p` premium, `w` wheelchair space, `c` companion seat; `.` (or a space) is an
//! aisle or a gap. A line with no label and no seats is an empty grid row (a cross aisle).
//! Seats are numbered from 1, left to right, within their row. The same parser runs in the
//! browser (the editor's live preview) and on the server (which saves only what it accepts).

use serde::{Deserialize, Serialize};

use crate::app::catalog::SeatKind;

/// The largest grid the database accepts.
pub const MAX_GRID: usize = 200;

/// One seat of a parsed layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutSeat {
    pub row_label: String,
    pub number: i32,
    pub grid_row: i32,
    pub grid_col: i32,
    pub kind: SeatKind,
}

/// A parsed layout: the grid's size and its seats.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Layout {
    pub grid_rows: i32,
    pub grid_cols: i32,
    pub seats: Vec<LayoutSeat>,
}

pub fn kind_of(c: char) -> Option<SeatKind> {
    match c {
        's' | 'S' => Some(SeatKind::Standard),
        'p' | 'P' => Some(SeatKind::Premium),
        'w' | 'W' => Some(SeatKind::Wheelchair),
        'c' | 'C' => Some(SeatKind::Companion),
        _ => None,
    }
}

pub fn char_of(kind: SeatKind) -> char {
    match kind {
        SeatKind::Standard => 's',
        SeatKind::Premium => 'p',
        SeatKind::Wheelchair => 'w',
        SeatKind::Companion => 'c',
    }
}

/// Parses the text; the error names the line and what is wrong with it.
pub fn parse(text: &str) -> Result<Layout, String> {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    // Leading blank lines are not rows.
    let first = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let lines = &lines[first..];
    if lines.is_empty() {
        return Err("the layout has no rows".into());
    }
    if lines.len() > MAX_GRID {
        return Err(format!("at most {MAX_GRID} rows"));
    }
    let mut layout = Layout {
        grid_rows: lines.len() as i32,
        ..Layout::default()
    };
    let mut labels = std::collections::HashSet::new();
    for (index, line) in lines.iter().enumerate() {
        let n = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let (label, cells) = line
            .split_once(':')
            .ok_or_else(|| format!("line {n}: write the row's label, a colon, then its seats"))?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 4 {
            return Err(format!("line {n}: a row label has 1 to 4 characters"));
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("line {n}: a row label has letters and digits only"));
        }
        if !labels.insert(label.to_string()) {
            return Err(format!("line {n}: row {label} appears twice"));
        }
        let cells = cells.strip_prefix(' ').unwrap_or(cells).trim_end();
        if cells.chars().count() > MAX_GRID {
            return Err(format!("line {n}: at most {MAX_GRID} columns"));
        }
        let mut number = 0;
        for (col, c) in cells.chars().enumerate() {
            match (kind_of(c), c) {
                (Some(kind), _) => {
                    number += 1;
                    layout.seats.push(LayoutSeat {
                        row_label: label.to_string(),
                        number,
                        grid_row: n as i32,
                        grid_col: col as i32 + 1,
                        kind,
                    });
                    layout.grid_cols = layout.grid_cols.max(col as i32 + 1);
                }
                (None, '.' | ' ') => {}
                (None, other) => {
                    return Err(format!(
                        "line {n}: {other:?} is not a seat (s, p, w, c) or a gap (.)"
                    ));
                }
            }
        }
        if number == 0 {
            return Err(format!("line {n}: row {label} has no seats"));
        }
    }
    if layout.seats.is_empty() {
        return Err("the layout has no seats".into());
    }
    Ok(layout)
}

/// The text of a layout (what the editor starts from).
pub fn render(layout: &Layout) -> String {
    let mut lines = vec![String::new(); layout.grid_rows.max(0) as usize];
    for row in 1..=layout.grid_rows {
        let seats: Vec<&LayoutSeat> = layout.seats.iter().filter(|s| s.grid_row == row).collect();
        let Some(first) = seats.first() else { continue };
        let mut cells = vec!['.'; layout.grid_cols.max(0) as usize];
        for seat in &seats {
            if let Some(cell) = cells.get_mut(seat.grid_col as usize - 1) {
                *cell = char_of(seat.kind);
            }
        }
        let cells: String = cells.into_iter().collect();
        lines[row as usize - 1] = format!("{}: {}", first.row_label, cells.trim_end_matches('.'));
    }
    lines.join("\n")
}

/// The editor's click on a grid cell: the next kind (gap → standard → premium → wheelchair
/// → companion → gap). Returns the new text; rows the text lacks are added.
pub fn cycle_cell(text: &str, grid_row: usize, grid_col: usize) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    while lines.len() < grid_row {
        lines.push(String::new());
    }
    let line = &mut lines[grid_row - 1];
    if !line.contains(':') {
        *line = format!("{}: ", default_label(grid_row));
    }
    let (label, cells) = line
        .split_once(':')
        .map(|(l, c)| (l.to_string(), c.to_string()))
        .unwrap_or_default();
    let mut cells: Vec<char> = cells.strip_prefix(' ').unwrap_or(&cells).chars().collect();
    while cells.len() < grid_col {
        cells.push('.');
    }
    let next = match kind_of(cells[grid_col - 1]) {
        None => 's',
        Some(SeatKind::Standard) => 'p',
        Some(SeatKind::Premium) => 'w',
        Some(SeatKind::Wheelchair) => 'c',
        Some(SeatKind::Companion) => '.',
    };
    cells[grid_col - 1] = next;
    let cells: String = cells.into_iter().collect();
    *line = format!("{label}: {}", cells.trim_end_matches('.'));
    lines.join("\n")
}

/// A, B, … Z, AA, AB, … for row `n` (1-based).
fn default_label(n: usize) -> String {
    let mut n = n;
    let mut label = String::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        label.insert(0, (b'A' + rem as u8) as char);
        n = (n - 1) / 26;
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_gaps_and_kinds_parse_and_number_left_to_right() {
        let layout = parse("A: ss.ss\nB: pp.pp\n\nC: wc..s").unwrap();
        assert_eq!((layout.grid_rows, layout.grid_cols), (4, 5));
        assert_eq!(layout.seats.len(), 11);
        let c = |label: &str, n: i32| {
            layout
                .seats
                .iter()
                .find(|s| s.row_label == label && s.number == n)
                .cloned()
                .unwrap()
        };
        assert_eq!(
            (c("A", 3).grid_col, c("A", 3).kind),
            (4, SeatKind::Standard)
        );
        assert_eq!(
            (c("C", 2).grid_row, c("C", 2).kind),
            (4, SeatKind::Companion)
        );
        assert_eq!(c("C", 3).grid_col, 5);
        assert_eq!(parse(&render(&layout)).unwrap(), layout);
    }

    #[test]
    fn mistakes_are_named_by_line() {
        assert!(parse("").unwrap_err().contains("no rows"));
        assert!(
            parse("A: ss\nA: ss")
                .unwrap_err()
                .contains("line 2: row A appears twice")
        );
        assert!(parse("A ss").unwrap_err().contains("line 1"));
        assert!(parse("A: sx").unwrap_err().contains("'x' is not a seat"));
        assert!(parse("A: ...").unwrap_err().contains("row A has no seats"));
        assert!(parse("ABCDE: s").unwrap_err().contains("1 to 4"));
    }

    #[test]
    fn a_click_cycles_a_cell_through_the_kinds() {
        let text = cycle_cell("A: s", 1, 3);
        assert_eq!(text, "A: s.s");
        let text = cycle_cell(&text, 1, 3);
        assert_eq!(text, "A: s.p");
        let text = cycle_cell("A: s", 3, 1);
        assert_eq!(text, "A: s\n\nC: s");
        assert_eq!(cycle_cell("A: sc", 1, 2), "A: s");
        assert_eq!(default_label(27), "AA");
    }
}
