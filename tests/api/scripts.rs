//! The Lua scripts through their typed contracts, where the HTTP API cannot reach: the
//! waiting line's `serve` script touches only the holder keys it is given.

use std::time::Duration;

use marquee::server::booking::line::contracts::{Serve, ServeReply};
use marquee::server::booking::script;
use marquee::server::booking::showtimes::ShowtimeCache;

use crate::helpers::spawn_app;
use crate::line::full_house;

#[tokio::test]
async fn serve_stops_at_someone_it_was_not_told_about_and_serves_them_once_told() {
    let app = spawn_app().await;
    let (showtime, seats, _owner) = full_house(&app).await;
    let (b, c) = (app.session(), app.session());
    assert_eq!(b.join(showtime, 1).await.0, 200);
    assert_eq!(c.join(showtime, 1).await.0, 200);

    // One seat frees itself without anyone being told (as when a hold lapses between two
    // sweeps), so nothing serves the line before the calls below do.
    let keys = app.keys(showtime);
    let mut redis = app.redis.clone();
    let _: () = redis::cmd("DEL")
        .arg(keys.seat(seats[0]))
        .query_async(&mut redis)
        .await
        .unwrap();
    let info = ShowtimeCache::default()
        .get(&app.db, showtime)
        .await
        .unwrap();
    let serve = |waiting| Serve {
        keys: &keys,
        showtime: &info,
        offer_ttl: Duration::from_secs(60),
        extensions_used: 2,
        checkout_grace: Duration::from_secs(60),
        waiting,
    };

    // The caller saw nobody in line: the script may not write the head's holder keys, so it
    // offers nothing, says the line it was told of is stale, and does not mark it served.
    let reply = script::run(&mut redis, &serve(&[])).await.unwrap();
    assert!(
        matches!(
            reply,
            ServeReply::Ok {
                offers: 0,
                expires_at: None,
                stale: true
            }
        ),
        "{reply:?}"
    );
    assert!(b.offered(showtime).await.is_empty());
    let served: bool = redis::cmd("EXISTS")
        .arg(keys.line_served())
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(!served, "a line served only in part is not served");

    // Told of the head (but not of the one behind): the head gets the seat, and with no seat
    // left, nobody unseen was passed over.
    let reply = script::run(&mut redis, &serve(&[b.id()])).await.unwrap();
    assert!(
        matches!(
            reply,
            ServeReply::Ok {
                offers: 1,
                expires_at: Some(_),
                stale: false
            }
        ),
        "{reply:?}"
    );
    assert_eq!(b.offered(showtime).await, [seats[0]]);
    assert_eq!(c.place(showtime).await["position"], 1);
}
