//! The seating rules on crafted layouts.

use super::*;

/// A room from rows of text, front row first: `.` free, `x` taken, `w` a free wheelchair
/// space, `c` a free companion seat, `p` a free premium seat, ` ` an aisle (no seat).
/// Seat ids are row * 100 + column.
fn room(rows: &[&str]) -> Vec<Place> {
    let mut places = Vec::new();
    for (r, line) in rows.iter().enumerate() {
        for (c, ch) in line.chars().enumerate() {
            let (free, kind) = match ch {
                '.' => (true, SeatKind::Standard),
                'x' => (false, SeatKind::Standard),
                'w' => (true, SeatKind::Wheelchair),
                'c' => (true, SeatKind::Companion),
                'p' => (true, SeatKind::Premium),
                _ => continue,
            };
            let (row, col) = (r as i32 + 1, c as i32 + 1);
            places.push(Place {
                id: i64::from(row * 100 + col),
                row,
                col,
                kind,
                free,
            });
        }
    }
    places
}

fn pick(rows: &[&str], count: usize) -> Choice {
    choose(&room(rows), count, None).expect("a choice")
}

#[test]
fn an_empty_room_gives_the_centre_two_thirds_back() {
    let rows = [
        ".........",
        ".........",
        ".........",
        ".........",
        ".........",
    ];
    let choice = pick(&rows, 2);
    assert_eq!(choice.arrangement, Arrangement::Together);
    // Rows 1..=5: two thirds back is row 3.67, so row 4; columns 1..=9: centre is 5.
    assert!(
        choice.seats == [404, 405] || choice.seats == [405, 406],
        "{choice:?}"
    );
    assert_eq!(pick(&rows, 1).seats, [405]);
    assert_eq!(pick(&rows, 3).seats, [404, 405, 406]);
}

#[test]
fn seats_across_an_aisle_are_not_side_by_side() {
    // Two seats free in row 2, either side of the aisle; row 1 has two together.
    let rows = ["xx..xxx", "xxx. .xx"];
    let choice = pick(&rows, 2);
    assert_eq!(choice.arrangement, Arrangement::Together);
    assert_eq!(choice.seats, [103, 104]);
}

#[test]
fn a_block_that_strands_a_single_seat_loses_to_one_that_does_not() {
    // Row 2 (the sweet row of three) has 3 free together: 2 of them would strand one.
    // Row 3 has exactly two free together: taking them strands nothing.
    let rows = ["xxxxxxx", "xx...xx", "xxx..xx"];
    let choice = pick(&rows, 2);
    assert_eq!(choice.seats, [304, 305]);
    assert!(choice.stranded.is_empty());
    // Three fit row 2 exactly.
    assert_eq!(pick(&rows, 3).seats, [203, 204, 205]);
}

#[test]
fn stranding_is_accepted_only_when_nothing_else_fits() {
    let rows = ["xx...xx"];
    let choice = pick(&rows, 2);
    assert_eq!(choice.arrangement, Arrangement::Together);
    assert_eq!(choice.stranded.len(), 1, "{choice:?}");
}

#[test]
fn no_row_has_room_so_the_party_splits_over_two_rows_one_behind_the_other() {
    let rows = ["xxxxxxxx", "xxx..xxx", "xxx..xxx", "x.xxxx.x"];
    let choice = pick(&rows, 4);
    assert_eq!(choice.arrangement, Arrangement::Split);
    assert_eq!(choice.seats, [204, 205, 304, 305]);
}

#[test]
fn when_nothing_is_together_the_best_single_seats_are_given() {
    let rows = ["x.x.x.x", "x.x.x.x"];
    let choice = pick(&rows, 3);
    assert_eq!(choice.arrangement, Arrangement::Scattered);
    assert_eq!(choice.seats.len(), 3);
}

#[test]
fn too_few_free_seats_is_no_choice() {
    assert!(choose(&room(&["x..x"]), 3, None).is_none());
    assert!(choose(&room(&["...."]), 0, None).is_none());
}

#[test]
fn wheelchair_spaces_and_companion_seats_go_only_to_who_asks_for_them() {
    let rows = ["wc..cw"];
    assert_eq!(pick(&rows, 2).seats, [103, 104]);
    let places = room(&rows);
    let wheelchair = choose(&places, 1, Some(SeatKind::Wheelchair)).unwrap();
    assert!(wheelchair.seats == [101] || wheelchair.seats == [106]);
    assert!(
        choose(&places, 3, None).is_none(),
        "only two ordinary seats"
    );
    let premium = choose(&room(&["..pp.."]), 2, Some(SeatKind::Premium)).unwrap();
    assert_eq!(premium.seats, [103, 104]);
}

#[test]
fn a_wheelchair_space_comes_with_its_companion_seat_for_a_party() {
    // Back row: a space with its companion at each end, ordinary seats between.
    let rows = [".......", "wc...cw"];
    let places = room(&rows);
    let two = choose(&places, 2, Some(SeatKind::Wheelchair)).unwrap();
    assert!(
        two.seats == [201, 202] || two.seats == [206, 207],
        "{two:?}"
    );
    assert_eq!(two.arrangement, Arrangement::Together);
    let three = choose(&places, 3, Some(SeatKind::Wheelchair)).unwrap();
    assert!(three.seats == [201, 202, 203] || three.seats == [205, 206, 207]);
    // No block of three with the space: the space and the seats nearest it.
    let apart = choose(&room(&["wx...", "xxxxx"]), 3, Some(SeatKind::Wheelchair)).unwrap();
    assert_eq!(apart.arrangement, Arrangement::Scattered);
    assert_eq!(apart.seats, [101, 103, 104]);
    // Never two spaces for one party.
    assert!(choose(&room(&["wcw"]), 3, Some(SeatKind::Wheelchair)).is_none());
    // No free space: nothing.
    assert!(choose(&room(&["xc..."]), 2, Some(SeatKind::Wheelchair)).is_none());
    assert_eq!(available(&room(&["xc..."]), Some(SeatKind::Wheelchair)), 0);
}

#[test]
fn a_manual_pick_that_leaves_one_seat_alone_is_named() {
    // The hold took 103-104 ("mine" is taken now): 102 sits alone between 101 (taken)
    // and the hold; 105-106 are two, not stranded.
    let places = room(&["x.xx.."]);
    assert_eq!(stranded_by(&places, &[103, 104]), [102]);
    assert!(stranded_by(&room(&["xxxx.."]), &[103, 104]).is_empty());
}
