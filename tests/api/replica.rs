//! Catalog reads on a real Postgres streaming replica (`DATABASE_REPLICA_URL`), falling back
//! to the primary when the replica lags past its bound or is down; booking never depends on
//! it. The test makes its own primary and replica (`initdb`, `pg_basebackup`) on its own ports.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sqlx::PgPool;

use crate::helpers::spawn_app_with;

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A primary on `port` and its streaming replica on `port + 1`, as the `postgres` user.
struct Pair {
    dir: PathBuf,
    port: u16,
}

fn as_postgres(program: &str, args: &[&str]) {
    let status = Command::new("runuser")
        .args(["-u", "postgres", "--", &format!("{BIN}/{program}")])
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{program} {args:?}");
}

impl Pair {
    fn start(port: u16) -> Self {
        let dir = std::env::temp_dir().join(format!("marquee-replica-test-{port}"));
        let pair = Self { dir, port };
        pair.stop_all();
        let _ = std::fs::remove_dir_all(&pair.dir);
        std::fs::create_dir_all(&pair.dir).unwrap();
        let _ = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&pair.dir)
            .status();
        let primary = pair.data("primary");
        as_postgres("initdb", &["-D", &primary, "-A", "trust", "-U", "postgres"]);
        pair.pg_ctl(&primary, port, "start");
        as_postgres(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-D",
                &pair.data("replica"),
                "-R",
                "-X",
                "stream",
            ],
        );
        pair.pg_ctl(&pair.data("replica"), port + 1, "start");
        pair
    }

    fn data(&self, which: &str) -> String {
        self.dir.join(which).to_string_lossy().into_owned()
    }

    fn pg_ctl(&self, data: &str, port: u16, action: &str) {
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.dir.display()
        );
        let log = Path::new(data).with_extension("log");
        as_postgres(
            "pg_ctl",
            &[
                "-D",
                data,
                "-w",
                "-m",
                "immediate",
                "-l",
                &log.to_string_lossy(),
                "-o",
                &options,
                action,
            ],
        );
    }

    fn url(&self, replica: bool) -> String {
        let port = self.port + u16::from(replica);
        format!("postgres://postgres@127.0.0.1:{port}/marquee")
    }

    fn stop_all(&self) {
        for which in ["replica", "primary"] {
            if Path::new(&self.data(which)).join("postmaster.pid").exists() {
                let _ = Command::new("runuser")
                    .args(["-u", "postgres", "--", &format!("{BIN}/pg_ctl")])
                    .args(["-D", &self.data(which), "-m", "immediate", "stop"])
                    .status();
            }
        }
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.stop_all();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn titles(app: &crate::helpers::TestApp) -> Vec<String> {
    let (status, movies) = app.session().get("/api/now_showing").await;
    assert_eq!(status, 200, "{movies}");
    movies
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn catalog_reads_use_the_replica_until_it_lags_or_stops() {
    let pair = Pair::start(5441);
    let admin = PgPool::connect(&pair.url(false).replace("/marquee", "/postgres"))
        .await
        .unwrap();
    sqlx::query("CREATE DATABASE marquee")
        .execute(&admin)
        .await
        .unwrap();
    let (primary_url, replica_url) = (pair.url(false), pair.url(true));
    let app = spawn_app_with(&[
        ("DATABASE_URL", primary_url.as_str()),
        ("DATABASE_REPLICA_URL", replica_url.as_str()),
        ("DATABASE_REPLICA_MAX_LAG_SECS", "2"),
        // Answers are cached for a second only, so each read below reaches a database.
        ("CATALOG_CACHE_TTL_SECS", "1"),
    ])
    .await;
    let replica = PgPool::connect(&replica_url).await.unwrap();

    // The replica has caught up (the demo catalog was written on the primary).
    let caught_up = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM movies")
            .fetch_one(&replica)
            .await
            .unwrap_or(0)
            > 0
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !caught_up().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replica never caught up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let the monitor see it fresh, and the start-up's catalog change (the demo schedule)
    // age past the lag bound (till then catalog reads avoid the replica, which may not have
    // it yet), then freeze replay and add a movie on the primary.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&replica)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO movies (slug, title, synopsis, runtime_minutes, rating, poster_hue)
         SELECT 'written-after-the-pause', 'Written After The Pause', synopsis, runtime_minutes, rating, poster_hue
           FROM movies LIMIT 1",
    )
    .execute(&app.db)
    .await
    .unwrap();
    // Read from the replica: it does not have the movie yet.
    assert!(
        !titles(&app)
            .await
            .contains(&"Written After The Pause".to_string())
    );

    // Announced as a change (as a staff edit announces it): the primary answers at once, as
    // the replica may not have the change yet.
    marquee::server::catalog::changed(&app.state).await;
    assert!(
        titles(&app)
            .await
            .contains(&"Written After The Pause".to_string())
    );

    // Past the lag bound, the primary answers.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(
        titles(&app)
            .await
            .contains(&"Written After The Pause".to_string())
    );

    // The replica stops: the catalog and booking go on.
    pair.pg_ctl(&pair.data("replica"), pair.port + 1, "stop");
    assert!(
        titles(&app)
            .await
            .contains(&"Written After The Pause".to_string())
    );
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let seat = app.seats_of(showtime).await[0].0;
    let buyer = app.session();
    assert_eq!(buyer.hold(showtime, &[seat]).await.0, 200);
    let (status, order) = buyer
        .buy(showtime, &[seat], "4242 4242 4242 4242", "replica-down-01")
        .await;
    assert_eq!(status, 200, "{order}");
}
