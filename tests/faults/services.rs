//! The processes a scenario may break: a private Postgres cluster, a private Redis, and app
//! instances (the real `marquee` binary), each a child of the harness on loopback only, so
//! that killing, stopping or restarting them never disturbs anything else on the machine.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A directory of its own under the system temp dir (the Postgres cluster lives there, and
/// the `postgres` user must be able to reach it), removed when dropped.
pub struct Workdir {
    pub path: PathBuf,
}

const PREFIX: &str = "marquee-faults-";

impl Workdir {
    pub fn new(label: &str) -> io::Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "{PREFIX}{label}-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        fs::create_dir_all(&path)?;
        Ok(Self { path })
    }

    /// Cleans up after runs that died without cleaning up (killed, or Ctrl-C): their
    /// Postgres (a daemon, detached by `pg_ctl`) and any child still running, then their
    /// directories. A run's directory names its process; only dead runs are touched.
    pub fn sweep_stale() {
        let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(owner) = name
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.split('-').nth(1))
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if owner == std::process::id() || Path::new(&format!("/proc/{owner}")).exists() {
                continue;
            }
            let dir = entry.path();
            let data = dir.join("pg").join("data");
            if data.join("postmaster.pid").exists() {
                let pg = Postgres::at(&data);
                let _ = pg.stop(StopMode::Immediate);
            }
            for pid_file in find(&dir, ".pid") {
                if pid_file.ends_with("postmaster.pid") {
                    continue;
                }
                let pid = fs::read_to_string(&pid_file).unwrap_or_default();
                let Ok(pid) = pid.trim().parse::<u32>() else {
                    continue;
                };
                // Only our own children: pids are reused.
                let command = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let command = String::from_utf8_lossy(&command);
                if command.contains("redis-server") || command.contains("marquee") {
                    signal(pid, "CONT");
                    signal(pid, "KILL");
                }
            }
            let _ = fs::remove_dir_all(&dir);
        }
    }
}

/// Files under `dir` whose name ends with `suffix`.
fn find(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(find(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    found
}

/// Notes a child's pid beside its log, for [`Workdir::sweep_stale`].
fn note_pid(path: &Path, pid: u32) {
    let _ = fs::write(path, pid.to_string());
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A port nobody listens on right now (the OS picks it; we release it for the child).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn run(command: &mut Command) -> io::Result<()> {
    let output = command.stdin(Stdio::null()).output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{command:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Where Postgres' server binaries are: `PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.
fn postgres_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .expect("Postgres server binaries (set PG_BIN, or install postgresql)")
}

/// How a Postgres restart ends the running server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Like a crash: no checkpoint, crash recovery on the next start.
    Immediate,
    /// Clients are disconnected, a checkpoint is written.
    Fast,
}

impl StopMode {
    fn arg(self) -> &'static str {
        match self {
            Self::Immediate => "immediate",
            Self::Fast => "fast",
        }
    }
}

/// A Postgres cluster of our own: `initdb` once per test run, own port and socket directory,
/// trust authentication on loopback.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    pub port: u16,
    /// Run the server binaries as the `postgres` user (they refuse to run as root).
    as_postgres: bool,
}

impl Postgres {
    /// An existing cluster, only to stop it.
    fn at(data: &Path) -> Self {
        Self {
            bin: postgres_bin(),
            data: data.to_path_buf(),
            log: data.with_file_name("postgres.log"),
            port: 0,
            as_postgres: is_root(),
        }
    }

    pub fn init(dir: &Path) -> io::Result<Self> {
        let as_postgres = is_root();
        let root = dir.join("pg");
        fs::create_dir_all(&root)?;
        if as_postgres {
            run(Command::new("chown").args(["postgres:", root.to_str().unwrap()]))?;
        }
        let pg = Self {
            bin: postgres_bin(),
            data: root.join("data"),
            log: root.join("postgres.log"),
            port: free_port(),
            as_postgres,
        };
        pg.command("initdb")
            .args(["-D", pg.data.to_str().unwrap()])
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            .output()
            .and_then(|o| {
                o.status.success().then_some(()).ok_or_else(|| {
                    io::Error::other(format!("initdb: {}", String::from_utf8_lossy(&o.stderr)))
                })
            })?;
        // A process crash (kill -9, `-m immediate`) loses nothing that was committed without
        // fsync: the kernel still has the writes. Only a machine crash would, which we do not
        // test; so skip fsync for speed, but keep synchronous commits (WAL written at commit).
        let conf = format!(
            "\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nfull_page_writes = off\nmax_connections = 200\n\
             shared_buffers = 32MB\nlog_min_messages = warning\n",
            pg.port,
            root.display()
        );
        let conf_path = pg.data.join("postgresql.conf");
        let mut existing = fs::read_to_string(&conf_path)?;
        existing.push_str(&conf);
        fs::write(&conf_path, existing)?;
        pg.start()?;
        Ok(pg)
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        command.stdin(Stdio::null());
        command
    }

    fn pg_ctl(&self, action: &str, extra: &[&str]) -> io::Result<()> {
        run(self
            .command("pg_ctl")
            .arg(action)
            .args([
                "-D",
                self.data.to_str().unwrap(),
                "-l",
                self.log.to_str().unwrap(),
            ])
            .args(["-w", "-t", "30"])
            .args(extra))
    }

    pub fn start(&self) -> io::Result<()> {
        self.pg_ctl("start", &[])
    }

    pub fn stop(&self, mode: StopMode) -> io::Result<()> {
        self.pg_ctl("stop", &["-m", mode.arg()])
    }

    /// Starts the cluster unless it runs.
    pub fn ensure_running(&self) -> io::Result<()> {
        let status = self
            .command("pg_ctl")
            .args(["status", "-D", self.data.to_str().unwrap()])
            .output()?;
        if status.status.success() {
            Ok(())
        } else {
            self.start()
        }
    }

    /// The URL of one database of this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.stop(StopMode::Immediate);
    }
}

/// A Redis server of our own, with an append-only file (`appendfsync everysec`) as the app
/// runs it in production, in its own directory.
pub struct Redis {
    dir: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    pub fn start(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let mut redis = Self {
            dir: dir.to_path_buf(),
            port: free_port(),
            child: None,
        };
        redis.spawn()?;
        Ok(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn spawn(&mut self) -> io::Result<()> {
        let log = self.dir.join("redis.log");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", self.dir.to_str().unwrap()])
            .args(["--appendonly", "yes", "--appendfsync", "everysec"])
            .args(["--save", "", "--daemonize", "no"])
            .args(["--logfile", log.to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        note_pid(&self.dir.join("redis.pid"), child.id());
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&self) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let pong = Command::new("redis-cli")
                .args(["-p", &self.port.to_string(), "ping"])
                .output()?;
            // While it loads the append-only file it answers LOADING.
            if String::from_utf8_lossy(&pong.stdout).trim() == "PONG" {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(io::Error::other("redis did not come up"))
    }

    /// `kill -9`: whatever the append-only file had not been written yet is lost.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `SIGTERM`: Redis flushes the append-only file and exits; nothing is lost.
    pub fn shutdown(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "TERM");
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and directory (it loads the append-only file).
    pub fn restart(&mut self) -> io::Result<()> {
        self.spawn()
    }

    /// Starts it again unless it runs.
    pub fn ensure_running(&mut self) -> io::Result<()> {
        let running = self
            .child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)));
        if running { Ok(()) } else { self.spawn() }
    }

    pub fn flushall(&self) -> io::Result<()> {
        run(Command::new("redis-cli").args(["-p", &self.port.to_string(), "FLUSHALL"]))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Copies the server binary cargo built for this test into `dir`, so that a rebuild in the
/// shared target directory during a long soak cannot change the code under test midway.
pub fn snapshot_binary(dir: &Path) -> io::Result<PathBuf> {
    let copy = dir.join("marquee");
    fs::copy(env!("CARGO_BIN_EXE_marquee"), &copy)?;
    Ok(copy)
}

/// One app instance: the real server binary as a child process on its own port.
pub struct App {
    pub name: &'static str,
    binary: PathBuf,
    pub port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    stopped: bool,
}

impl App {
    pub fn new(
        name: &'static str,
        binary: &Path,
        env: Vec<(String, String)>,
        log: PathBuf,
    ) -> Self {
        Self {
            name,
            binary: binary.to_path_buf(),
            port: free_port(),
            env,
            log,
            child: None,
            stopped: false,
        }
    }

    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the binary with the instance's settings plus `extra` (e.g. `FAILPOINTS`).
    pub fn spawn(&mut self, extra: &[(&str, String)]) -> io::Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut command = Command::new(&self.binary);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(extra.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = command.spawn()?;
        note_pid(&self.log.with_extension("pid"), child.id());
        self.child = Some(child);
        self.stopped = false;
        Ok(())
    }

    /// Waits until `/healthz` answers 200 (Postgres and Redis reachable).
    pub async fn wait_ready(&mut self, http: &reqwest::Client) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = format!("{}/healthz", self.address());
        while Instant::now() < deadline {
            if !self.is_running() {
                return Err(format!("{} exited during start", self.name));
            }
            if let Ok(response) = http.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(format!("{} not healthy after 30 s", self.name))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is alive (stopped counts as alive).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn sigstop(&mut self) {
        if let Some(pid) = self.pid() {
            signal(pid, "STOP");
            self.stopped = true;
        }
    }

    pub fn sigcont(&mut self) {
        if let Some(pid) = self.pid() {
            signal(pid, "CONT");
            self.stopped = false;
        }
    }

    /// A graceful stop (SIGTERM, bounded by `SHUTDOWN_GRACE_SECS`), then a kill if needed.
    pub async fn terminate(&mut self) {
        if self.stopped {
            self.sigcont();
        }
        if let Some(pid) = self.pid() {
            signal(pid, "TERM");
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.is_running() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kill();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if self.stopped {
            self.sigcont();
        }
        self.kill();
    }
}

/// Copies `from` into `to` (a log worth keeping), ignoring a missing file.
pub fn keep(from: &Path, to: &Path) {
    if let Ok(mut source) = File::open(from)
        && let Ok(mut target) = File::create(to)
    {
        let _ = io::copy(&mut source, &mut target);
    }
}
