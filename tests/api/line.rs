//! The waiting line: joining, leaving, offers and their hand-off, against real Redis and
//! Postgres. The 8-seat Screening Room makes "full" cheap: one session holds every seat.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, spawn_app, spawn_app_with};

/// A showtime in the Screening Room, all 8 seats held by the returned session.
pub async fn full_house(app: &TestApp) -> (i64, Vec<i64>, Session) {
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let seats: Vec<i64> = app.seats_of(showtime).await.iter().map(|s| s.0).collect();
    assert_eq!(seats.len(), 8);
    let owner = app.session();
    let (status, hold) = owner.hold(showtime, &seats).await;
    assert_eq!(status, 200, "{hold}");
    (showtime, seats, owner)
}

pub fn error(reply: &(u16, Value)) -> (u16, &str) {
    (reply.0, reply.1["error"].as_str().unwrap_or_default())
}

/// Waits (up to 10 s) until `session` has an offer, and returns its seats.
pub async fn wait_for_offer(session: &Session, showtime: i64) -> Vec<i64> {
    for _ in 0..100 {
        let offered = session.offered(showtime).await;
        if !offered.is_empty() {
            return offered;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no offer arrived");
}

#[tokio::test]
async fn joining_is_refused_with_the_reason() {
    let app = spawn_app_with(&[("LINE_MAX_LENGTH", "2")]).await;
    let (showtime, seats, owner) = full_house(&app).await;
    let (b, c, d) = (app.session(), app.session(), app.session());

    // The owner holds seats, so cannot also wait; a party must be 1..=MAX_SEATS_PER_HOLD.
    assert_eq!(
        error(&owner.join(showtime, 1).await),
        (409, "holding_seats")
    );
    assert_eq!(error(&b.join(showtime, 0).await), (400, "bad_input"));
    assert_eq!(error(&b.join(showtime, 11).await), (400, "bad_input"));
    assert_eq!(
        error(&b.join(showtime + 1_000_000, 1).await),
        (404, "not_found")
    );

    // One entry per session: joining twice names the place already held.
    let (status, place) = b.join(showtime, 1).await;
    assert_eq!(status, 200, "{place}");
    assert_eq!(
        place,
        json!({ "showtime_id": showtime, "position": 1, "party": 1 })
    );
    let again = b.join(showtime, 2).await;
    assert_eq!(error(&again), (409, "already_in_line"));
    assert_eq!(again.1["position"], 1);
    assert_eq!(
        b.place(showtime).await["party"],
        1,
        "the first entry stands"
    );

    // Someone in line gets seats by offer only.
    assert_eq!(
        error(&b.hold(showtime, &[seats[0]]).await),
        (409, "in_line")
    );

    // The cap.
    assert_eq!(c.join(showtime, 1).await.0, 200);
    assert_eq!(error(&d.join(showtime, 1).await), (409, "line_full"));
    assert_eq!(d.place(showtime).await, Value::Null);

    // Enough free seats for the party: pick them instead. Releasing two seats with two
    // people in line offers them; two more make two free seats.
    assert_eq!(owner.release(showtime, &seats[..4]).await.0, 200);
    let refused = d.join(showtime, 2).await;
    assert_eq!(error(&refused), (409, "seats_available"));
    assert_eq!(refused.1["available"], 2);
    assert_eq!(
        d.join(showtime, 3).await.0,
        200,
        "a party of 3 does not fit in 2"
    );

    // A showtime that has started.
    let started = app.started_copy_of(showtime).await;
    assert_eq!(error(&d.join(started, 1).await), (409, "showtime_started"));
}

#[tokio::test]
async fn leaving_gives_the_place_up_and_moves_everyone_behind() {
    let app = spawn_app().await;
    let (showtime, _, _owner) = full_house(&app).await;
    let people: Vec<Session> = (0..3).map(|_| app.session()).collect();
    for person in &people {
        assert_eq!(person.join(showtime, 1).await.0, 200);
    }
    assert_eq!(people[2].place(showtime).await["position"], 3);

    assert_eq!(people[0].leave(showtime).await.0, 200);
    assert_eq!(people[0].place(showtime).await, Value::Null);
    assert_eq!(people[1].place(showtime).await["position"], 1);
    assert_eq!(people[2].place(showtime).await["position"], 2);
    // Leaving when not in line is harmless.
    assert_eq!(people[0].leave(showtime).await.0, 200);
    // Rejoining is allowed, at the back.
    assert_eq!(people[0].join(showtime, 1).await.1["position"], 3);
}

#[tokio::test]
async fn released_and_expired_seats_go_to_the_line_first() {
    let app = spawn_app_with(&[("HOLD_TTL_SECS", "3")]).await;
    let (showtime, seats, owner) = full_house(&app).await;
    let (b, c, walk_in) = (app.session(), app.session(), app.session());
    assert_eq!(b.join(showtime, 1).await.0, 200);
    assert_eq!(c.join(showtime, 1).await.0, 200);

    // A release goes to the head of the line, at once, and shows as held to everyone else.
    assert_eq!(owner.release(showtime, &[seats[3]]).await.0, 200);
    assert_eq!(b.offered(showtime).await, vec![seats[3]]);
    assert_eq!(
        b.place(showtime).await,
        Value::Null,
        "served means out of line"
    );
    assert_eq!(c.place(showtime).await["position"], 1);
    let (_, view) = walk_in.seat_map(showtime).await;
    assert!(view["held"].as_array().unwrap().contains(&json!(seats[3])));
    assert_eq!(
        error(&walk_in.hold(showtime, &[seats[3]]).await),
        (409, "seat_taken")
    );

    // The owner's hold lapses: C (party of 1) is offered one seat, and with the line empty
    // the other six are free for anyone.
    let offered = wait_for_offer(&c, showtime).await;
    assert_eq!(offered.len(), 1);
    let (_, view) = walk_in.seat_map(showtime).await;
    assert_eq!(view["held"].as_array().unwrap().len(), 2, "{view}");
    let free: Vec<i64> = seats
        .iter()
        .copied()
        .filter(|s| *s != seats[3] && *s != offered[0])
        .collect();
    assert_eq!(free.len(), 6);
    assert_eq!(walk_in.hold(showtime, &free).await.0, 200);
}

#[tokio::test]
async fn a_lapsed_offer_passes_to_the_next_in_line() {
    let app = spawn_app_with(&[("OFFER_TTL_SECS", "2")]).await;
    let (showtime, seats, owner) = full_house(&app).await;
    let (b, c) = (app.session(), app.session());
    assert_eq!(b.join(showtime, 1).await.0, 200);
    assert_eq!(c.join(showtime, 1).await.0, 200);
    assert_eq!(owner.release(showtime, &[seats[0]]).await.0, 200);
    assert_eq!(b.offered(showtime).await, vec![seats[0]]);
    // An offer cannot be stretched: it would keep the rest of the line waiting.
    assert_eq!(error(&b.extend(showtime).await), (409, "extend_limit"));

    assert_eq!(wait_for_offer(&c, showtime).await, vec![seats[0]]);
    assert!(b.offered(showtime).await.is_empty());
    assert_eq!(
        b.place(showtime).await,
        Value::Null,
        "a lapsed offer does not requeue"
    );
    let (status, _) = b
        .buy(showtime, &[seats[0]], "4242424242424242", "late-offer-b")
        .await;
    assert_eq!(status, 403, "the seat is C's now");
}

#[tokio::test]
async fn a_declined_offer_passes_to_the_next_in_line() {
    let app = spawn_app().await;
    let (showtime, seats, owner) = full_house(&app).await;
    let (b, c, d) = (app.session(), app.session(), app.session());
    assert_eq!(error(&b.decline(showtime).await), (404, "not_found"));
    assert_eq!(b.join(showtime, 1).await.0, 200);
    assert_eq!(c.join(showtime, 1).await.0, 200);
    assert_eq!(owner.release(showtime, &[seats[5]]).await.0, 200);
    assert_eq!(b.offered(showtime).await, vec![seats[5]]);

    let (status, hold) = b.decline(showtime).await;
    assert_eq!(status, 200, "{hold}");
    assert_eq!(hold["seat_ids"], json!([]));
    assert_eq!(c.offered(showtime).await, vec![seats[5]]);

    // C declines too, and with nobody left in line the seat is free for anyone.
    assert_eq!(c.decline(showtime).await.0, 200);
    assert_eq!(d.hold(showtime, &[seats[5]]).await.0, 200);
}

#[tokio::test]
async fn a_party_of_two_skips_a_single_seat_and_waits() {
    let app = spawn_app().await;
    let (showtime, seats, owner) = full_house(&app).await;
    let (pair, single) = (app.session(), app.session());
    assert_eq!(pair.join(showtime, 2).await.0, 200);
    assert_eq!(single.join(showtime, 1).await.0, 200);

    // One seat frees: too few for the pair at the head, so the single behind gets it.
    assert_eq!(owner.release(showtime, &[seats[0]]).await.0, 200);
    assert!(pair.offered(showtime).await.is_empty());
    assert_eq!(pair.place(showtime).await["position"], 1);
    assert_eq!(single.offered(showtime).await, vec![seats[0]]);

    // Another single seat frees: nobody in line fits, so it stays free and the pair waits.
    assert_eq!(owner.release(showtime, &[seats[1]]).await.0, 200);
    assert!(pair.offered(showtime).await.is_empty());
    assert_eq!(pair.place(showtime).await["position"], 1);

    // A third: now two are free, and the pair gets them.
    assert_eq!(owner.release(showtime, &[seats[2]]).await.0, 200);
    assert_eq!(pair.offered(showtime).await, vec![seats[1], seats[2]]);
}

#[tokio::test]
async fn a_party_is_offered_seats_side_by_side_when_there_are_any() {
    let app = spawn_app().await;
    let (showtime, seats, owner) = full_house(&app).await;
    let pair = app.session();
    assert_eq!(pair.join(showtime, 2).await.0, 200);
    // Row A: seats 0..4, row B: 4..8. Free A1, A3 (a gap between) and B2, B3 (side by side).
    let freed = [seats[0], seats[2], seats[5], seats[6]];
    assert_eq!(owner.release(showtime, &freed).await.0, 200);
    assert_eq!(pair.offered(showtime).await, vec![seats[5], seats[6]]);
}

#[tokio::test]
async fn an_accepted_offer_is_bought_through_the_normal_checkout_and_nobody_else_can() {
    let app = spawn_app().await;
    let (showtime, seats, owner) = full_house(&app).await;
    let (b, other) = (app.session(), app.session());
    assert_eq!(b.join(showtime, 2).await.0, 200);
    assert_eq!(owner.release(showtime, &seats[6..]).await.0, 200);
    assert_eq!(b.offered(showtime).await, seats[6..].to_vec());

    // Meanwhile nobody else can hold or buy them.
    assert_eq!(
        error(&other.hold(showtime, &seats[6..]).await),
        (409, "seat_taken")
    );
    let (status, _) = other
        .buy(showtime, &seats[6..], "4242424242424242", "other-key-1")
        .await;
    assert_eq!(status, 403);

    let (status, order) = b
        .buy(showtime, &seats[6..], "4242424242424242", "offer-key-b1")
        .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(app.postgres_sold(showtime).await, seats[6..].to_vec());
    assert_eq!(app.redis_sold(showtime).await, seats[6..].to_vec());
    let (_, view) = other.seat_map(showtime).await;
    assert_eq!(view["sold"], json!(seats[6..]));
    assert!(b.offered(showtime).await.is_empty());

    // What B picks next is an ordinary hold: a clock and extensions of its own.
    assert_eq!(owner.release(showtime, &[seats[0]]).await.0, 200);
    let (status, hold) = b.hold(showtime, &[seats[0]]).await;
    assert_eq!(status, 200, "{hold}");
    assert!(hold["expires_in_ms"].as_i64().unwrap() > 290_000, "{hold}");
    assert_eq!(hold["extensions_left"], 2);
    assert_eq!(b.seat_map(showtime).await.1["offer"], false);
}

#[tokio::test]
async fn a_hold_that_lapsed_unannounced_still_goes_to_the_line_first() {
    // The sweeper runs once at start and then not for a minute: the lapse below stays
    // unannounced, and only the hold script's own check stands between it and a walk-in.
    let app = spawn_app_with(&[("HOLD_TTL_SECS", "3"), ("SWEEP_INTERVAL_MS", "60000")]).await;
    let (showtime, _) = app.showtime_in("Screening Room").await;
    let seats: Vec<i64> = app.seats_of(showtime).await.iter().map(|s| s.0).collect();
    let (owner, brief, pair, walk_in) =
        (app.session(), app.session(), app.session(), app.session());
    assert_eq!(owner.hold(showtime, &seats[..7]).await.0, 200);
    assert_eq!(owner.extend(showtime).await.0, 200);
    assert_eq!(brief.hold(showtime, &seats[7..]).await.0, 200);
    assert_eq!(pair.join(showtime, 2).await.0, 200);
    // One seat frees: too few for the pair, so it stays free.
    assert_eq!(owner.release(showtime, &[seats[0]]).await.0, 200);
    assert!(pair.offered(showtime).await.is_empty());

    tokio::time::sleep(Duration::from_millis(3_500)).await;
    // The brief hold has lapsed: with it, two seats are free, which the pair gets, even
    // though the walk-in asked for one of them first.
    assert_eq!(
        error(&walk_in.hold(showtime, &[seats[0]]).await),
        (409, "seat_taken")
    );
    assert_eq!(pair.offered(showtime).await, vec![seats[0], seats[7]]);
}
