//! Private Redis servers for a bench: one plain server, or a Redis Cluster of primaries, each
//! on a free loopback port, without persistence (the bench owns them; nothing outlives it),
//! killed and their directories removed on drop.
//!
//! Ports are picked by trying them, from `BENCH_REDIS_PORT` (default 7400) upwards; a cluster
//! node also needs its bus port (port + 10000) free. Other sessions on the machine may run
//! their own Redis servers, so the bench never assumes a fixed port.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisNodes {
    ports: Vec<u16>,
    children: Vec<Child>,
    dir: PathBuf,
}

impl RedisNodes {
    /// One Redis server.
    pub fn single(name: &str) -> Self {
        Self::spawn(name, 1, false)
    }

    /// A Redis Cluster of `primaries` shards, no replicas, its slots split evenly.
    pub fn cluster(name: &str, primaries: usize) -> Self {
        let nodes = Self::spawn(name, primaries, true);
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(nodes.ports.iter().map(|p| format!("127.0.0.1:{p}")))
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .status()
            .expect("redis-cli runs");
        assert!(created.success(), "redis-cli --cluster create");
        for &port in &nodes.ports {
            wait_for("every node sees the cluster ok", || {
                redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query::<String>(&mut connect(port)?)
                    .ok()
                    .map(|info| info.contains("cluster_state:ok"))
            });
        }
        nodes
    }

    fn spawn(name: &str, count: usize, cluster: bool) -> Self {
        let dir = std::env::temp_dir().join(format!("marquee-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ports = free_ports(count, cluster);
        let mut children = Vec::new();
        for &port in &ports {
            let node_dir = dir.join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let mut command = Command::new("redis-server");
            command
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&node_dir);
            if cluster {
                // No replicas and no failover wanted: a long node timeout keeps a busy,
                // 2-core machine from having nodes declare each other failed mid-run.
                command.args([
                    "--cluster-enabled",
                    "yes",
                    "--cluster-node-timeout",
                    "15000",
                ]);
            }
            children.push(
                command
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("redis-server is installed (run `make setup`)"),
            );
        }
        let nodes = Self {
            ports,
            children,
            dir,
        };
        for &port in &nodes.ports {
            wait_for("a Redis node answers", || {
                redis::cmd("PING")
                    .query::<String>(&mut connect(port)?)
                    .ok()
                    .map(|pong| pong == "PONG")
            });
        }
        nodes
    }

    /// The URL of the (first) server.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.ports[0])
    }

    /// Every node, as `REDIS_CLUSTER_NODES` wants them.
    pub fn seeds(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// The port of the node that owns `key`: the one that answers instead of redirecting.
    pub fn owner(&self, key: &str) -> u16 {
        self.ports
            .iter()
            .copied()
            .find(|&port| {
                let mut connection = connect(port).expect("a node answers");
                redis::cmd("EXISTS")
                    .arg(key)
                    .query::<i64>(&mut connection)
                    .is_ok()
            })
            .expect("some node owns every slot")
    }

    /// The process of the node on `port`.
    pub fn pid(&self, port: u16) -> u32 {
        let index = self.ports.iter().position(|&p| p == port).expect("a node");
        self.children[index].id()
    }
}

impl Drop for RedisNodes {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn connect(port: u16) -> Option<redis::Connection> {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .ok()?
        .get_connection_with_timeout(Duration::from_secs(1))
        .ok()
}

/// `count` loopback ports that can be bound now (and, for a cluster, their bus ports too).
fn free_ports(count: usize, cluster: bool) -> Vec<u16> {
    let start: u16 = std::env::var("BENCH_REDIS_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(7400);
    let free = |port: u16| TcpListener::bind(("127.0.0.1", port)).is_ok();
    let mut ports: Vec<u16> = Vec::new();
    let mut port = start;
    while ports.len() < count {
        // Taken by the nodes of this same call: their servers have not bound them yet.
        let ours = |p: u16| ports.iter().any(|&q| q == p || q + 10_000 == p);
        if !ours(port) && free(port) && (!cluster || (!ours(port + 10_000) && free(port + 10_000)))
        {
            ports.push(port);
        }
        port = port
            .checked_add(1)
            .filter(|p| *p < 55_000)
            .expect("a free port");
    }
    ports
}

fn wait_for(what: &str, mut ok: impl FnMut() -> Option<bool>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while ok() != Some(true) {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
