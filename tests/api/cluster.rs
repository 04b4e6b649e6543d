//! The app on a real Redis Cluster (`REDIS_CLUSTER_NODES`): scripts run on the shard of their
//! showtime's hash tag, live events travel on sharded channels, and a primary's failover ends
//! in a resync, never a stale map. Each test starts its own cluster on its own ports.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with};
use crate::live::{SOON, next, watch};

/// A private Redis Cluster: `primaries` shards with `replicas` each, on ports from `base`.
struct Cluster {
    ports: Vec<u16>,
    nodes: Vec<Child>,
    dir: std::path::PathBuf,
}

impl Cluster {
    fn start(base: u16, primaries: usize, replicas: usize) -> Self {
        let dir = std::env::temp_dir().join(format!("marquee-cluster-test-{base}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let count = primaries * (1 + replicas);
        let ports: Vec<u16> = (0..count as u16).map(|i| base + i).collect();
        let mut nodes = Vec::new();
        for port in &ports {
            // A node left over by an interrupted run.
            let _ = Command::new("redis-cli")
                .args(["-p", &port.to_string(), "shutdown", "nosave"])
                .stderr(Stdio::null())
                .stdout(Stdio::null())
                .status();
            let node_dir = dir.join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "1000"])
                // A replica may take over however long ago it last heard from its primary
                // (the default refuses after 10 node timeouts: far too short here).
                .args(["--cluster-replica-validity-factor", "0"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&node_dir)
                .stdout(Stdio::null())
                .spawn()
                .expect("redis-server runs");
            nodes.push(child);
        }
        for port in &ports {
            wait_for(|| ping(*port), "a cluster node answers");
        }
        let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(created.success(), "redis-cli --cluster create");
        let cluster = Self { ports, nodes, dir };
        for port in &cluster.ports {
            wait_for(
                || info(*port, "cluster_state") == "ok",
                "every node sees the cluster ok",
            );
        }
        cluster
    }

    fn seeds(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The port of the primary that owns `key`'s slot, as the first node that answers tells
    /// (a killed primary answers nothing).
    fn owner(&self, key: &str) -> u16 {
        for port in &self.ports {
            let Ok(slot) = redis_cli(*port, &["cluster", "keyslot", key])
                .trim()
                .parse::<u16>()
            else {
                continue;
            };
            // `CLUSTER SLOTS` as text: start, end, then the primary's address and port.
            let slots = redis_cli(*port, &["cluster", "slots"]);
            let lines: Vec<&str> = slots.lines().map(str::trim).collect();
            let mut i = 0;
            while i + 3 < lines.len() {
                if let (Ok(start), Ok(end)) = (lines[i].parse::<u16>(), lines[i + 1].parse::<u16>())
                    && lines[i + 2] == "127.0.0.1"
                    && let Ok(owner) = lines[i + 3].parse::<u16>()
                    && (start..=end).contains(&slot)
                {
                    return owner;
                }
                i += 1;
            }
        }
        panic!("no node tells the owner of {key}");
    }

    fn kill(&mut self, port: u16) {
        let index = self.ports.iter().position(|p| *p == port).unwrap();
        self.nodes[index].kill().unwrap();
        self.nodes[index].wait().unwrap();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
            let _ = node.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ping(port: u16) -> bool {
    redis_cli(port, &["ping"]).trim() == "PONG"
}

fn info(port: u16, field: &str) -> String {
    redis_cli(port, &["cluster", "info"])
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn wait_for(mut ok: impl FnMut() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Upcoming showtimes, each with the port of the shard that owns its keys.
async fn showtimes_by_shard(app: &TestApp, cluster: &Cluster) -> Vec<(i64, u16)> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT s.id FROM showtimes s JOIN auditoriums a ON a.id = s.auditorium_id
          WHERE s.starts_at > now() + interval '1 hour' AND a.name = 'Studio 2'
          ORDER BY s.starts_at LIMIT 24",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    ids.into_iter()
        .map(|id| (id, cluster.owner(&app.keys(id).sold())))
        .collect()
}

async fn cluster_app(cluster: &Cluster) -> (TestApp, TestApp) {
    let seeds = cluster.seeds();
    let app = spawn_app_with(&[("REDIS_CLUSTER_NODES", seeds.as_str())]).await;
    let other = app
        .second_instance_with(&[("REDIS_CLUSTER_NODES", seeds.as_str())])
        .await;
    (app, other)
}

#[tokio::test]
async fn holds_sales_and_live_maps_work_on_every_shard_of_a_cluster() {
    let cluster = Cluster::start(7101, 3, 0);
    let (app, other) = cluster_app(&cluster).await;
    // One showtime on each of the three shards.
    let mut picked: Vec<(i64, u16)> = Vec::new();
    for (showtime, port) in showtimes_by_shard(&app, &cluster).await {
        if !picked.iter().any(|(_, p)| *p == port) {
            picked.push((showtime, port));
        }
    }
    assert_eq!(
        picked.len(),
        3,
        "showtimes spread over all three shards: {picked:?}"
    );

    for (showtime, port) in picked {
        let seats = app.seats_of(showtime).await;
        let (buyer, watcher) = (app.session(), other.session());
        // The watcher is on the other instance: the event crosses instances on the shard.
        let mut feed = watch(&other, &watcher, showtime).await;
        assert_eq!(next(&mut feed, SOON).await["type"], "snapshot");
        let (status, hold) = buyer.hold(showtime, &[seats[0].0, seats[1].0]).await;
        assert_eq!(status, 200, "{hold}");
        let delta = next(&mut feed, Duration::from_secs(3)).await;
        assert_eq!(delta["type"], "delta", "{delta}");
        assert_eq!(delta["changes"][0]["state"], "held");
        let (status, order) = buyer
            .buy(
                showtime,
                &[seats[0].0, seats[1].0],
                "4242 4242 4242 4242",
                &format!("cluster-{showtime}"),
            )
            .await;
        assert_eq!(status, 200, "{order}");
        let sold = next(&mut feed, Duration::from_secs(3)).await;
        assert_eq!(sold["changes"][0]["state"], "sold", "{sold}");
        // The keys really are on that shard.
        let members = redis_cli(port, &["smembers", &app.keys(showtime).sold()]);
        assert_eq!(members.lines().count(), 2, "shard {port}: {members}");
    }
}

#[tokio::test]
async fn a_primary_failing_over_ends_in_a_resync_and_no_double_sale() {
    let mut cluster = Cluster::start(7111, 3, 1);
    let (app, other) = cluster_app(&cluster).await;
    let (showtime, primary) = showtimes_by_shard(&app, &cluster).await[0];
    let seats = app.seats_of(showtime).await;
    let (a, b, watcher) = (app.session(), other.session(), other.session());
    assert_eq!(a.hold(showtime, &[seats[0].0]).await.0, 200);
    let mut feed = watch(&other, &watcher, showtime).await;
    assert_eq!(next(&mut feed, SOON).await["type"], "snapshot");

    // The shard's primary dies; its replica takes over.
    cluster.kill(primary);
    let survivor = cluster
        .ports
        .iter()
        .copied()
        .find(|p| *p != primary)
        .unwrap();
    wait_for(
        || {
            info(survivor, "cluster_state") == "ok"
                && cluster.owner(&app.keys(showtime).sold()) != primary
        },
        "the replica is promoted",
    );
    // The open map is told to start over rather than left stale.
    let mut resynced = false;
    for _ in 0..10 {
        let message: Value = next(&mut feed, Duration::from_secs(10)).await;
        if message["type"] == "snapshot" {
            resynced = true;
            break;
        }
    }
    assert!(resynced, "the map resyncs after the failover");

    // Booking goes on, and a seat is still sold at most once.
    let mut held_by = Vec::new();
    for (session, seat) in [(&a, seats[1].0), (&b, seats[1].0)] {
        let mut status = 0;
        for _ in 0..20 {
            status = session.hold(showtime, &[seat]).await.0;
            if status != 500 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        held_by.push(status);
    }
    assert_eq!(
        held_by.iter().filter(|s| **s == 200).count(),
        1,
        "{held_by:?}"
    );
    // Both instances read the same, promoted shard.
    let (_, on_a) = a.seat_map(showtime).await;
    let (_, on_b) = other.session().seat_map(showtime).await;
    assert_eq!(on_a["version"], on_b["version"], "{on_a} {on_b}");
}

#[tokio::test]
async fn an_on_sales_waiting_room_works_on_a_cluster_shard() {
    use crate::room::{join, me, on_sale};
    let cluster = Cluster::start(7131, 3, 0);
    let (app, other) = cluster_app(&cluster).await;
    let (showtime, _) = app.showtime_in("Studio 2").await;
    let id = on_sale(&app, &[showtime], -1000, 60, 1).await;
    // Per-address places: both come from 127.0.0.1 here, so the second is refused…
    let (first, second) = (app.session(), other.session());
    assert_eq!(join(&first, id).await.0, 200);
    let (status, body) = join(&second, id).await;
    assert_eq!(
        (status, body["error"].clone()),
        (409, Value::from("address_in_queue"))
    );
    // …and the first, admitted through one instance, holds through the other.
    assert_eq!(me(&first, id).await["state"], "admitted");
    let seat = app.seats_of(showtime).await[0].0;
    let through_other = reqwest::Client::new()
        .post(other.url("/api/hold_seats"))
        .header("cookie", first.cookie())
        .json(&serde_json::json!({ "showtime_id": showtime, "seat_ids": [seat] }))
        .send()
        .await
        .unwrap();
    assert_eq!(through_other.status(), 200);
    // The room's keys share one slot, on one shard.
    let port = cluster.owner(&format!("{}:{{os:{id}}}:queue", app.prefix));
    let entries = redis_cli(
        port,
        &["hlen", &format!("{}:{{os:{id}}}:entries", app.prefix)],
    );
    assert_eq!(entries.trim(), "1", "shard {port}");
}
