//! CPU time by who spent it, from `/proc`: this process's threads (chosen by name) and other
//! processes (a Redis server), so a bench on a shared machine can say how many core-seconds
//! each part used, not only how long the wall clock ran.
//!
//! Each thread's time is the first field of its `schedstat` (nanoseconds on a CPU). A thread
//! that exits between two readings takes its time with it; the threads measured here (runtime
//! workers, Redis) live for the whole bench.

use std::path::Path;
use std::time::Duration;

/// CPU time of this process's threads whose name passes `keep`.
pub fn threads(keep: impl Fn(&str) -> bool) -> Duration {
    tasks_time(Path::new("/proc/self/task"), keep)
}

/// CPU time of every thread of process `pid`.
pub fn process(pid: u32) -> Duration {
    tasks_time(Path::new(&format!("/proc/{pid}/task")), |_| true)
}

fn tasks_time(dir: &Path, keep: impl Fn(&str) -> bool) -> Duration {
    let Ok(tasks) = std::fs::read_dir(dir) else {
        return Duration::ZERO;
    };
    let mut nanos = 0u64;
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if !keep(name.trim_end()) {
            continue;
        }
        nanos += std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Duration::from_nanos(nanos)
}
