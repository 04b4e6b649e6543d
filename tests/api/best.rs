//! Best available over HTTP, against real Redis and Postgres: the block is judged from the
//! room's layout in Postgres and the seat map the server shows afterwards, never from the
//! chooser's own opinion of what it did.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, spawn_app};

/// Seat id → (grid row, grid column, kind), from Postgres.
type Layout = HashMap<i64, (i32, i32, String)>;

async fn layout(app: &TestApp, showtime: i64) -> Layout {
    let rows: Vec<(i64, i32, i32, String)> = sqlx::query_as(
        "SELECT s.id, s.grid_row, s.grid_col, s.kind::text FROM seats s
           JOIN showtimes t ON t.auditorium_id = s.auditorium_id WHERE t.id = $1",
    )
    .bind(showtime)
    .fetch_all(&app.db)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, row, col, kind)| (id, (row, col, kind)))
        .collect()
}

/// The seat at (row, col).
fn at(layout: &Layout, row: i32, col: i32) -> Option<i64> {
    layout
        .iter()
        .find(|(_, (r, c, _))| *r == row && *c == col)
        .map(|(id, _)| *id)
}

async fn best(session: &Session, showtime: i64, count: u32, kind: Option<&str>) -> (u16, Value) {
    session
        .post(
            "hold_best",
            json!({ "showtime_id": showtime, "count": count, "kind": kind }),
        )
        .await
}

fn ids(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

/// Sold or held by anyone, as an anonymous visitor's map shows it.
async fn taken(app: &TestApp, showtime: i64) -> BTreeSet<i64> {
    let (status, map) = app.session().seat_map(showtime).await;
    assert_eq!(status, 200, "{map}");
    ids(&map["sold"])
        .into_iter()
        .chain(ids(&map["held"]))
        .collect()
}

/// Whether `seats` are side by side in one row (consecutive grid columns).
fn side_by_side(layout: &Layout, seats: &[i64]) -> bool {
    let mut places: Vec<(i32, i32)> = seats
        .iter()
        .map(|id| (layout[id].0, layout[id].1))
        .collect();
    places.sort();
    places
        .windows(2)
        .all(|w| w[0].0 == w[1].0 && w[0].1 + 1 == w[1].1)
}

/// Free ordinary seats beside `seats` that are now alone: taken, aisle or wall on both sides.
fn stranded_beside(layout: &Layout, taken: &BTreeSet<i64>, seats: &[i64]) -> Vec<i64> {
    let free = |row: i32, col: i32| {
        at(layout, row, col).is_some_and(|id| {
            !taken.contains(&id) && matches!(layout[&id].2.as_str(), "standard" | "premium")
        })
    };
    let mut alone = Vec::new();
    for id in seats {
        let (row, col, _) = layout[id];
        for next in [col - 1, col + 1] {
            if free(row, next) && !free(row, next - 1) && !free(row, next + 1) {
                alone.push(at(layout, row, next).unwrap());
            }
        }
    }
    alone
}

/// Whether some block of `count` free ordinary seats side by side leaves no seat alone.
fn clean_block_exists(layout: &Layout, taken: &BTreeSet<i64>, count: usize) -> bool {
    let free = |row: i32, col: i32| {
        at(layout, row, col).is_some_and(|id| {
            !taken.contains(&id) && matches!(layout[&id].2.as_str(), "standard" | "premium")
        })
    };
    let rows: BTreeSet<i32> = layout.values().map(|v| v.0).collect();
    let cols: BTreeSet<i32> = layout.values().map(|v| v.1).collect();
    let (first, last) = (*cols.first().unwrap(), *cols.last().unwrap());
    rows.iter().any(|&row| {
        (first..=last).any(|start| {
            let end = start + count as i32 - 1;
            if !(start..=end).all(|col| free(row, col)) {
                return false;
            }
            let run =
                |cols: &mut dyn Iterator<Item = i32>| cols.take_while(|&c| free(row, c)).count();
            run(&mut (first..start).rev()) != 1 && run(&mut (end + 1..=last)) != 1
        })
    })
}

#[tokio::test]
async fn best_available_holds_blocks_side_by_side_near_the_sweet_spot_without_stranding_a_seat() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Grand Hall").await;
    let room = layout(&app, showtime).await;
    // Partly sold: someone holds a scatter of seats around the sweet spot (row K, the
    // centre), which leaves gaps of one, two and three seats.
    let spoiler = app.session();
    let scatter: Vec<i64> = [
        (11, 9),
        (11, 12),
        (11, 14),
        (11, 17),
        (10, 10),
        (12, 11),
        (12, 15),
    ]
    .iter()
    .map(|&(r, c)| at(&room, r, c).unwrap())
    .collect();
    assert_eq!(spoiler.hold(showtime, &scatter).await.0, 200);

    for count in [1u32, 2, 4, 6] {
        let before = taken(&app, showtime).await;
        let buyer = app.session();
        let (status, answer) = best(&buyer, showtime, count, None).await;
        assert_eq!(status, 200, "{answer}");
        let seats = ids(&answer["hold"]["seat_ids"]);
        assert_eq!(seats.len(), count as usize, "{answer}");
        assert_eq!(answer["arrangement"], "together", "{answer}");
        assert_eq!(answer["seats"].as_array().unwrap().len(), count as usize);
        assert!(side_by_side(&room, &seats), "{count}: {answer}");
        assert!(seats.iter().all(|s| !before.contains(s)), "only free seats");
        // Every seat of it now shows as held to everyone else, and is this buyer's.
        let after = taken(&app, showtime).await;
        assert!(seats.iter().all(|s| after.contains(s)));
        let (_, mine) = buyer.seat_map(showtime).await;
        assert_eq!(ids(&mine["hold"]["seat_ids"]), seats);
        // No seat left alone, since a block that strands none was there to be had.
        assert!(clean_block_exists(&room, &before, count as usize));
        assert_eq!(
            stranded_beside(&room, &after, &seats),
            Vec::<i64>::new(),
            "{count} seats stranded one: {answer}"
        );
        assert_eq!(answer["stranded"], json!([]), "{answer}");
        // Near the sweet spot: row K is 11 of 16; the block is within two rows of it.
        let row = room[&seats[0]].0;
        assert!((9..=13).contains(&row), "{count}: row {row}");
    }
}

#[tokio::test]
async fn a_block_that_must_strand_a_seat_says_which() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let room = layout(&app, showtime).await;
    // Row A: A1 held, so A2-A4 are three together; row B full. Two seats: one is left.
    let spoiler = app.session();
    let first: Vec<i64> = [(1, 1), (2, 1), (2, 2), (2, 3), (2, 4)]
        .iter()
        .map(|&(r, c)| at(&room, r, c).unwrap())
        .collect();
    assert_eq!(spoiler.hold(showtime, &first).await.0, 200);
    let (status, answer) = best(&app.session(), showtime, 2, None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["arrangement"], "together");
    assert_eq!(answer["stranded"].as_array().unwrap().len(), 1, "{answer}");
}

#[tokio::test]
async fn a_party_no_row_can_seat_is_split_over_two_rows_and_told_so() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let room = layout(&app, showtime).await;
    // Two rows of four: A1 and B1 held, so each row has three together; four do not fit.
    let spoiler = app.session();
    let first: Vec<i64> = [(1, 1), (2, 1)]
        .iter()
        .map(|&(r, c)| at(&room, r, c).unwrap())
        .collect();
    assert_eq!(spoiler.hold(showtime, &first).await.0, 200);
    let buyer = app.session();
    let (status, answer) = best(&buyer, showtime, 4, None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["arrangement"], "split", "{answer}");
    let seats = ids(&answer["hold"]["seat_ids"]);
    let rows: BTreeSet<i32> = seats.iter().map(|s| room[s].0).collect();
    assert_eq!(rows, BTreeSet::from([1, 2]));
    for row in [1, 2] {
        let part: Vec<i64> = seats.iter().copied().filter(|s| room[s].0 == row).collect();
        assert!(side_by_side(&room, &part), "{answer}");
    }
    // Nothing left for a fifth: too few seats, said so with how many there are.
    let late = app.session();
    let (status, refusal) = best(&late, showtime, 3, None).await;
    assert_eq!(
        (status, refusal["error"].as_str()),
        (409, Some("not_enough_seats"))
    );
    assert_eq!(refusal["available"], 2, "{refusal}");
}

#[tokio::test]
async fn best_available_says_no_clearly() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let buyer = app.session();
    let refused =
        |reply: &(u16, Value)| (reply.0, reply.1["error"].as_str().unwrap_or("").to_string());
    assert_eq!(
        refused(&best(&buyer, showtime, 0, None).await),
        (400, "bad_input".into())
    );
    assert_eq!(
        refused(&best(&buyer, showtime, 11, None).await),
        (422, "too_many_seats".into())
    );
    assert_eq!(
        refused(&best(&buyer, showtime, 2, Some("balcony")).await).0,
        400,
        "an unknown kind"
    );
    assert_eq!(
        refused(&best(&buyer, 999_999, 2, None).await),
        (404, "not_found".into())
    );
    // Companion seats come with a wheelchair space (the theater's rule, on by default).
    assert_eq!(
        refused(&best(&buyer, showtime, 1, Some("companion")).await),
        (400, "bad_input".into())
    );
    // Both wheelchair spaces taken: none to be had.
    for _ in 0..2 {
        let (status, answer) = best(&app.session(), showtime, 1, Some("wheelchair")).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (status, refusal) = best(&buyer, showtime, 2, Some("wheelchair")).await;
    assert_eq!(
        (status, refusal["available"].clone()),
        (409, json!(0)),
        "{refusal}"
    );
    // Holding seats already: buy or release them first.
    assert_eq!(best(&buyer, showtime, 2, None).await.0, 200);
    assert_eq!(
        refused(&best(&buyer, showtime, 2, None).await),
        (409, "holding_seats".into())
    );
}

#[tokio::test]
async fn wheelchair_spaces_and_companion_seats_are_given_only_when_asked_for() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let room = layout(&app, showtime).await;
    let wheelchair = app.session();
    let (status, answer) = best(&wheelchair, showtime, 1, Some("wheelchair")).await;
    assert_eq!(status, 200, "{answer}");
    let seat = ids(&answer["hold"]["seat_ids"])[0];
    assert_eq!(room[&seat].2, "wheelchair");
    // Everyone else gets ordinary seats, even with the room's back row nearly empty.
    for _ in 0..5 {
        let (status, answer) = best(&app.session(), showtime, 6, None).await;
        assert_eq!(status, 200, "{answer}");
        for seat in ids(&answer["hold"]["seat_ids"]) {
            assert!(
                matches!(room[&seat].2.as_str(), "standard" | "premium"),
                "{answer}"
            );
        }
    }
}

#[tokio::test]
async fn people_asking_at_once_get_disjoint_blocks() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let room = layout(&app, showtime).await;
    // 20 people from 20 addresses ask for 4 seats each at the same moment: 80 of the 136
    // ordinary seats.
    let people: Vec<Session> = (0..20)
        .map(|i| app.session_from(&format!("10.9.0.{}", i + 1)))
        .collect();
    let answers =
        futures::future::join_all(people.iter().map(|p| best(p, showtime, 4, None))).await;
    let mut all = BTreeSet::new();
    for (status, answer) in &answers {
        assert_eq!(*status, 200, "{answer}");
        let seats = ids(&answer["hold"]["seat_ids"]);
        assert_eq!(seats.len(), 4);
        if answer["arrangement"] == "together" {
            assert!(side_by_side(&room, &seats), "{answer}");
        }
        for seat in seats {
            assert!(all.insert(seat), "seat {seat} given twice");
        }
    }
    // Each answer is that person's hold, and Redis agrees with the sum of them.
    for (person, (_, answer)) in people.iter().zip(&answers) {
        let (_, map) = person.seat_map(showtime).await;
        assert_eq!(map["hold"]["seat_ids"], answer["hold"]["seat_ids"]);
    }
    assert_eq!(taken(&app, showtime).await, all);
}

#[tokio::test]
async fn a_wheelchair_space_is_given_with_its_companion_seat_and_sold_only_with_it() {
    let app = spawn_app().await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let room = layout(&app, showtime).await;
    // Best available for two with a wheelchair: a space and the companion seat beside it.
    let pair = app.session();
    let (status, answer) = best(&pair, showtime, 2, Some("wheelchair")).await;
    assert_eq!(status, 200, "{answer}");
    let seats = ids(&answer["hold"]["seat_ids"]);
    let kinds: BTreeSet<&str> = seats.iter().map(|s| room[s].2.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["wheelchair", "companion"]),
        "{answer}"
    );
    assert!(side_by_side(&room, &seats), "{answer}");
    let (status, order) = pair
        .buy(showtime, &seats, "4242 4242 4242 4242", "wheelchair-pair-1")
        .await;
    assert_eq!(status, 200, "{order}");

    // A companion seat on its own can be held (the space may come next) but not bought.
    let (space, companion) = (at(&room, 10, 15).unwrap(), at(&room, 10, 14).unwrap());
    assert_eq!(room[&space].2, "wheelchair");
    assert_eq!(room[&companion].2, "companion");
    let alone = app.session();
    assert_eq!(alone.hold(showtime, &[companion]).await.0, 200);
    let (status, refusal) = alone
        .buy(
            showtime,
            &[companion],
            "4242 4242 4242 4242",
            "companion-alone-1",
        )
        .await;
    assert_eq!(
        (status, refusal["error"].as_str()),
        (422, Some("companion_needs_wheelchair")),
        "{refusal}"
    );
    let names: HashMap<i64, String> = app.seats_of(showtime).await.into_iter().collect();
    assert_eq!(refusal["seats"], json!([names[&companion]]));
    let charges: i64 = sqlx::query_scalar("SELECT count(*) FROM test_gateway_charges")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(charges, 1, "nothing charged for the refusal");
    // With the space beside it, it sells.
    assert_eq!(alone.hold(showtime, &[space]).await.0, 200);
    let (status, order) = alone
        .buy(
            showtime,
            &[companion, space],
            "4242 4242 4242 4242",
            "companion-pair-2",
        )
        .await;
    assert_eq!(status, 200, "{order}");
}

#[tokio::test]
async fn a_theater_may_sell_companion_seats_on_their_own() {
    let app = spawn_app().await;
    sqlx::query("UPDATE theaters SET companion_needs_wheelchair = false")
        .execute(&app.db)
        .await
        .unwrap();
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let room = layout(&app, showtime).await;
    let companion = at(&room, 10, 2).unwrap();
    let buyer = app.session();
    assert_eq!(buyer.hold(showtime, &[companion]).await.0, 200);
    let (status, order) = buyer
        .buy(
            showtime,
            &[companion],
            "4242 4242 4242 4242",
            "companion-free-1",
        )
        .await;
    assert_eq!(status, 200, "{order}");
    // And best available may be asked for one.
    let (status, answer) = best(&app.session(), showtime, 1, Some("companion")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(room[&ids(&answer["hold"]["seat_ids"])[0]].2, "companion");
}
