//! The demo catalog's content: its movies and its auditoriums' seat layouts.

use crate::app::catalog::SeatKind;

pub(super) struct DemoMovie {
    pub(super) slug: &'static str,
    pub(super) title: &'static str,
    pub(super) synopsis: &'static str,
    pub(super) runtime_minutes: i32,
    pub(super) rating: &'static str,
    pub(super) poster_hue: i32,
}

pub(super) const MOVIES: [DemoMovie; 5] = [
    DemoMovie {
        slug: "the-last-projectionist",
        title: "The Last Projectionist",
        synopsis: "A small-town cinema's last projectionist has one week to save the picture house.",
        runtime_minutes: 118,
        rating: "PG-13",
        poster_hue: 28,
    },
    DemoMovie {
        slug: "orbit-of-glass",
        title: "Orbit of Glass",
        synopsis: "Six astronauts, one fragile station, and a signal no one can explain.",
        runtime_minutes: 142,
        rating: "PG-13",
        poster_hue: 205,
    },
    DemoMovie {
        slug: "paper-lanterns",
        title: "Paper Lanterns",
        synopsis: "An animated tale of a girl who folds a lantern that can find lost things.",
        runtime_minutes: 96,
        rating: "PG",
        poster_hue: 340,
    },
    DemoMovie {
        slug: "midnight-at-the-lido",
        title: "Midnight at the Lido",
        synopsis: "A jazz pianist witnesses a theft during the last set and becomes the suspect.",
        runtime_minutes: 109,
        rating: "R",
        poster_hue: 270,
    },
    DemoMovie {
        slug: "saltwater-summer",
        title: "Saltwater Summer",
        synopsis: "A documentary following a fishing village through its busiest season.",
        runtime_minutes: 88,
        rating: "PG",
        poster_hue: 170,
    },
];

/// An auditorium's layout, generated rather than typed out: rows of seat blocks separated
/// by aisle columns.
pub(super) struct DemoAuditorium {
    pub(super) name: &'static str,
    pub(super) rows: i32,
    /// Column ranges (inclusive, 1-based) holding seats; columns between blocks are aisles.
    pub(super) blocks: &'static [(i32, i32)],
    /// Grid rows with premium seats, and the columns (inclusive) they span in those rows.
    pub(super) premium_rows: &'static [i32],
    pub(super) premium_cols: (i32, i32),
    /// (grid row, grid column, kind) overrides for wheelchair spaces and companions.
    pub(super) accessible: &'static [(i32, i32, SeatKind)],
    /// Local start times (hour, minute).
    pub(super) slots: &'static [(u32, u32)],
}

impl DemoAuditorium {
    pub(super) fn grid_cols(&self) -> i32 {
        self.blocks.iter().map(|b| b.1).max().unwrap_or(0)
    }

    /// (row label, number, grid row, grid column, kind) of every seat, numbered from the
    /// left, row A nearest the screen.
    pub(super) fn seats(&self) -> Vec<(String, i32, i32, i32, SeatKind)> {
        let mut seats = Vec::new();
        for row in 1..=self.rows {
            let label = row_label(row);
            let mut number = 0;
            for &(first, last) in self.blocks {
                for col in first..=last {
                    number += 1;
                    let (first_premium, last_premium) = self.premium_cols;
                    let mut kind = if self.premium_rows.contains(&row)
                        && (first_premium..=last_premium).contains(&col)
                    {
                        SeatKind::Premium
                    } else {
                        SeatKind::Standard
                    };
                    if let Some(&(_, _, k)) = self
                        .accessible
                        .iter()
                        .find(|&&(r, c, _)| r == row && c == col)
                    {
                        kind = k;
                    }
                    seats.push((label.clone(), number, row, col, kind));
                }
            }
        }
        seats
    }
}

use SeatKind::{Companion as C, Wheelchair as W};

pub(super) const AUDITORIUMS: [DemoAuditorium; 3] = [
    DemoAuditorium {
        name: "Grand Hall",
        rows: 16,
        blocks: &[(1, 4), (6, 19), (21, 24)],
        premium_rows: &[8, 9, 10, 11],
        premium_cols: (6, 19),
        accessible: &[
            (16, 6, W),
            (16, 7, C),
            (16, 10, W),
            (16, 11, C),
            (16, 14, C),
            (16, 15, W),
            (16, 18, C),
            (16, 19, W),
        ],
        slots: &[(14, 0), (17, 30), (21, 0)],
    },
    DemoAuditorium {
        name: "Studio 2",
        rows: 10,
        blocks: &[(1, 7), (9, 15)],
        premium_rows: &[6, 7],
        premium_cols: (1, 15),
        accessible: &[(10, 1, W), (10, 2, C), (10, 14, C), (10, 15, W)],
        slots: &[(13, 15), (16, 0), (19, 0), (21, 45)],
    },
    DemoAuditorium {
        name: "Screening Room",
        rows: 2,
        blocks: &[(1, 4)],
        premium_rows: &[],
        premium_cols: (0, 0),
        accessible: &[],
        slots: &[(15, 0), (20, 0)],
    },
];

/// "A".."Z", then "AA".. for very deep rooms.
pub(super) fn row_label(row: i32) -> String {
    let mut n = row;
    let mut label = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        label.push((b'A' + rem) as char);
        n = (n - 1) / 26;
    }
    label.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_labels_continue_past_z() {
        assert_eq!(row_label(1), "A");
        assert_eq!(row_label(26), "Z");
        assert_eq!(row_label(27), "AA");
    }

    #[test]
    fn auditoriums_have_the_documented_sizes() {
        let sizes: Vec<usize> = AUDITORIUMS.iter().map(|a| a.seats().len()).collect();
        assert_eq!(sizes, vec![352, 140, 8]);
    }

    #[test]
    fn every_wheelchair_space_has_a_companion_beside_it() {
        for a in &AUDITORIUMS {
            let seats = a.seats();
            for &(_, _, row, col, kind) in &seats {
                if kind == SeatKind::Wheelchair {
                    let beside = seats.iter().any(|&(_, _, r, c, k)| {
                        r == row && (c == col - 1 || c == col + 1) && k == SeatKind::Companion
                    });
                    assert!(beside, "{} row {row} col {col} has no companion", a.name);
                }
            }
        }
    }

    #[test]
    fn grand_hall_has_two_aisles_and_a_premium_block() {
        let hall = &AUDITORIUMS[0];
        assert!(hall.rows * hall.grid_cols() >= 300);
        let seats = hall.seats();
        let occupied = |col| seats.iter().any(|s| s.3 == col);
        assert!(!occupied(5) && !occupied(20), "aisles at columns 5 and 20");
        assert!(seats.iter().any(|s| s.4 == SeatKind::Premium));
    }
}
