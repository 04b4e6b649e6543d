//! The waiting line under concurrency: many joins at once, and joins and releases spread
//! over two app instances. Whatever the interleaving, places are handed out once each, in
//! order, and every freed seat is offered once, to the people at the front.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;

use crate::helpers::{Session, TestApp, spawn_app};
use crate::line::full_house;

/// `n` sessions join at once, each with a party of 1; returns them with the place each got.
async fn join_at_once(apps: &[&TestApp], showtime: i64, n: usize) -> Vec<(Session, u64)> {
    let people: Vec<Session> = (0..n).map(|i| apps[i % apps.len()].session()).collect();
    let replies = join_all(people.iter().map(|p| p.join(showtime, 1))).await;
    people
        .into_iter()
        .zip(replies)
        .map(|(person, (status, place))| {
            assert_eq!(status, 200, "{place}");
            (person, place["position"].as_u64().unwrap())
        })
        .collect()
}

/// The seat each person has been offered (at most one each, as parties of 1).
async fn offers(people: &[(Session, u64)], showtime: i64) -> BTreeMap<u64, i64> {
    let mut offers = BTreeMap::new();
    for (person, position) in people {
        let offered = person.offered(showtime).await;
        assert!(offered.len() <= 1, "a party of 1 got {offered:?}");
        if let Some(&seat) = offered.first() {
            offers.insert(*position, seat);
        }
    }
    offers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_get_distinct_places_and_are_served_in_that_order() {
    let app = spawn_app().await;
    let (showtime, seats, owner) = full_house(&app).await;
    let people = join_at_once(&[&app], showtime, 40).await;

    // Every place from 1 to 40 was handed out exactly once, and each person still has it.
    let places: BTreeSet<u64> = people.iter().map(|(_, p)| *p).collect();
    assert_eq!(places, (1..=40).collect());
    for (person, position) in &people[..5] {
        assert_eq!(person.place(showtime).await["position"], *position);
    }

    // Three seats free up: the first three in line get them, one each; the fourth is next.
    assert_eq!(owner.release(showtime, &seats[..3]).await.0, 200);
    let offers = offers(&people, showtime).await;
    assert_eq!(offers.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    let offered: BTreeSet<i64> = offers.values().copied().collect();
    assert_eq!(offered, seats[..3].iter().copied().collect());
    let fourth = people.iter().find(|(_, p)| *p == 4).unwrap();
    assert_eq!(fourth.0.place(showtime).await["position"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_keep_one_order_and_one_offer_per_freed_seat() {
    let first = spawn_app().await;
    let second = first.second_instance().await;
    let (showtime, seats, owner) = full_house(&first).await;
    let people = join_at_once(&[&first, &second], showtime, 30).await;
    let places: BTreeSet<u64> = people.iter().map(|(_, p)| *p).collect();
    assert_eq!(places, (1..=30).collect());

    // Five seats released at once, one request each, alternating between the instances
    // (every release serves the line, so both instances serve it concurrently). The owner's
    // session cookie works on both: they share Redis.
    let (client, cookie) = (reqwest::Client::new(), owner.cookie());
    let releases = seats[..5].iter().enumerate().map(|(i, &seat)| {
        let address = if i % 2 == 0 {
            &first.address
        } else {
            &second.address
        };
        client
            .post(format!("{address}/api/release_seats"))
            .header("cookie", &cookie)
            .json(&serde_json::json!({ "showtime_id": showtime, "seat_ids": [seat] }))
            .send()
    });
    let releases: Vec<u16> = join_all(releases)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert!(releases.iter().all(|&s| s == 200), "{releases:?}");

    // Exactly the first five in line were offered one seat each, every freed seat once.
    let offers = offers(&people, showtime).await;
    assert_eq!(
        offers.keys().copied().collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    let offered: BTreeSet<i64> = offers.values().copied().collect();
    assert_eq!(offered, seats[..5].iter().copied().collect());
    for (person, position) in &people {
        let place = person.place(showtime).await;
        if *position <= 5 {
            assert!(place.is_null());
        } else {
            assert_eq!(place["position"].as_u64().unwrap(), position - 5);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn people_picking_free_seats_at_once_while_a_line_waits_all_get_them() {
    // A party of 31 waits while 30 seats are free: nobody in line fits, so everyone else may
    // pick. Holds free no seat, so they must not send each other back to serve the line.
    let app = crate::helpers::spawn_app_with(&[("MAX_SEATS_PER_HOLD", "40")]).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seats: Vec<i64> = app.seats_of(showtime).await.iter().map(|s| s.0).collect();
    let owner = app.session();
    assert_eq!(owner.hold(showtime, &seats[..40]).await.0, 200);
    for chunk in seats[40..110].chunks(35) {
        assert_eq!(app.session().hold(showtime, chunk).await.0, 200);
    }
    let party = app.session();
    assert_eq!(party.join(showtime, 31).await.0, 200);

    let pickers: Vec<Session> = (0..30).map(|_| app.session()).collect();
    let holds = join_all(
        pickers
            .iter()
            .zip(seats[110..].chunks(1))
            .map(|(picker, seat)| picker.hold(showtime, seat)),
    )
    .await;
    for (status, reply) in &holds {
        assert_eq!(*status, 200, "{reply}");
    }
    assert_eq!(party.place(showtime).await["position"], 1);
}
