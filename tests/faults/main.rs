//! Fault injection: seeded scenarios in which buyers race for seats while an app instance is
//! killed at a failpoint or frozen, Redis is flushed, restarted or killed, or Postgres is
//! restarted; after recovery an offline checker proves from Postgres, the test gateway's
//! ledger and every live seat map that no promise was broken (see `checker.rs`).
//!
//! Everything runs as child processes on loopback: the real `marquee` binary (built with the
//! `failpoints` feature), a private Postgres cluster per lane (`initdb` once, a fresh database
//! per scenario copied from a migrated template) and a private Redis per scenario, so that
//! restarting them disturbs nothing else.
//!
//! ```text
//! cargo test --features ssr,failpoints --test faults          # the short slice
//! FAULT_SEEDS=1..=1000 cargo test ... --test faults            # a soak (make faults)
//! FAULT_SEEDS=417 cargo test ... --test faults                 # one seed again
//! ```
//!
//! `FAULT_SEEDS` takes `a..b` (Rust's half-open range), `a..=b`, a single seed, or a list
//! `3,17,40..=49`; or `FAULT_SEED_START` and `FAULT_SCENARIOS`. `FAULT_JOBS` scenarios run
//! side by side (default 3); `FAULT_APP_ENV='NAME=value;…'` adds settings to both instances.
//! Progress goes to stderr as it happens (libtest does not capture it). Logs of every
//! scenario with a violation are kept in `target/tmp/faults/seed-<n>/`.
//!
//! Layout: `scenario.rs` (seed → plan), `services.rs` (the processes), `buyers.rs` (the race),
//! `run.rs` (one scenario end to end), `observe.rs` (reading the facts), `checker.rs` (the
//! invariants, with unit tests over hand-made violating data).

mod buyers;
mod checker;
mod observe;
mod reply;
mod run;
mod scenario;
mod services;

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The short slice `make test` runs: two seeds of every fault kind.
const DEFAULT_SEEDS: RangeInclusive<u64> = 1..=(2 * scenario::KINDS);

/// Progress goes straight to stderr: libtest captures `println!`, and a soak should show
/// where it is.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The seeds to run, from the environment.
fn seeds() -> Result<Vec<u64>, String> {
    if let Ok(spec) = std::env::var("FAULT_SEEDS") {
        return parse_seeds(&spec);
    }
    let start = std::env::var("FAULT_SEED_START").ok();
    let count = std::env::var("FAULT_SCENARIOS").ok();
    if start.is_none() && count.is_none() {
        return Ok(DEFAULT_SEEDS.collect());
    }
    let number = |v: Option<String>, default: u64| -> Result<u64, String> {
        v.map_or(Ok(default), |v| {
            v.trim().parse().map_err(|_| format!("not a number: {v:?}"))
        })
    };
    let start = number(start, 1)?;
    let count = number(count, 1000)?;
    Ok((start..start + count).collect())
}

fn parse_seeds(spec: &str) -> Result<Vec<u64>, String> {
    let number = |s: &str| -> Result<u64, String> {
        s.trim()
            .parse()
            .map_err(|_| format!("FAULT_SEEDS: not a seed: {s:?}"))
    };
    let mut seeds = Vec::new();
    for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
        if let Some((a, b)) = part.split_once("..=") {
            seeds.extend(number(a)?..=number(b)?);
        } else if let Some((a, b)) = part.split_once("..") {
            seeds.extend(number(a)?..number(b)?);
        } else {
            seeds.push(number(part)?);
        }
    }
    if seeds.is_empty() {
        return Err(format!("FAULT_SEEDS={spec:?} names no seed"));
    }
    Ok(seeds)
}

/// How a seed list reads in a summary (`1..=1000`, or the list).
fn describe(seeds: &[u64]) -> String {
    let contiguous = seeds.windows(2).all(|w| w[1] == w[0] + 1);
    match (seeds.first(), seeds.last()) {
        (Some(a), Some(b)) if contiguous && a != b => format!("{a}..={b}"),
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// Scenarios run side by side (`FAULT_JOBS`, default 3), each lane with its own Postgres
/// cluster, since a scenario restarts its cluster; most of a scenario is waiting.
fn jobs() -> usize {
    std::env::var("FAULT_JOBS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seeded_fault_scenarios_break_no_promise() {
    let seeds = Arc::new(seeds().unwrap());
    let began = Instant::now();
    let lanes = jobs().min(seeds.len());
    say(&format!(
        "fault scenarios: seeds {} ({} scenarios, {lanes} at a time)",
        describe(&seeds),
        seeds.len()
    ));
    services::Workdir::sweep_stale();
    let _ = std::fs::remove_dir_all(run::keep_dir());
    let bin = services::Workdir::new("bin").unwrap();
    let binary = services::snapshot_binary(&bin.path).unwrap_or_else(|e| panic!("{e}"));
    let mut harnesses = Vec::new();
    for _ in 0..lanes {
        harnesses.push(tokio::spawn(run::Harness::start(binary.clone())));
    }
    let next = Arc::new(AtomicUsize::new(0));
    let (done, mut outcomes) = tokio::sync::mpsc::unbounded_channel();
    for harness in harnesses {
        let harness = harness
            .await
            .unwrap()
            .expect("private Postgres and template database");
        let (seeds, next, done) = (seeds.clone(), next.clone(), done.clone());
        tokio::spawn(async move {
            while let Some(seed) = seeds.get(next.fetch_add(1, Ordering::SeqCst)) {
                let _ = done.send(run::scenario(&harness, *seed).await);
            }
        });
    }
    drop(done);
    let mut violations = 0;
    let mut failed: Vec<u64> = Vec::new();
    let mut fired = 0;
    let mut ran = 0;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(outcome) = outcomes.recv().await {
        ran += 1;
        let seed = outcome.plan.seed;
        fired += usize::from(outcome.fired);
        let verdict = if outcome.violations.is_empty() {
            "ok".to_string()
        } else {
            format!("{} VIOLATIONS", outcome.violations.len())
        };
        say(&format!(
            "{} ({:.1} s{}): {}; {verdict}",
            outcome.plan,
            outcome.elapsed.as_secs_f64(),
            if outcome.fired {
                ""
            } else {
                ", fault did not fire"
            },
            outcome.summary
        ));
        for violation in &outcome.violations {
            say(&format!(
                "  seed {seed} [{}]: {violation}",
                outcome.plan.fault
            ));
            *kinds.entry(violation.kind().to_string()).or_default() += 1;
        }
        if !outcome.violations.is_empty() {
            violations += outcome.violations.len();
            failed.push(seed);
        }
    }
    failed.sort_unstable();
    say(&format!(
        "fault scenarios: seeds {}, {ran} scenarios, faults fired in {fired}, {violations} \
         violations in {} scenarios, {:.0} s",
        describe(&seeds),
        failed.len(),
        began.elapsed().as_secs_f64()
    ));
    for (kind, count) in &kinds {
        say(&format!("  {count} × {kind}"));
    }
    if let Some(first) = failed.first() {
        say(&format!(
            "re-run one with: FAULT_SEEDS={first} make faults (logs: {})",
            run::keep_dir().display()
        ));
    }
    assert_eq!(ran, seeds.len(), "a lane stopped early");
    assert!(
        failed.is_empty(),
        "{violations} violations in seeds {}",
        describe(&failed)
    );
}

#[cfg(test)]
mod seed_tests {
    use super::*;

    #[test]
    fn seed_specs_parse_like_rust_ranges() {
        assert_eq!(parse_seeds("417").unwrap(), vec![417]);
        assert_eq!(parse_seeds("1..4").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_seeds("1..=4").unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(parse_seeds("3, 9..=10").unwrap(), vec![3, 9, 10]);
        assert!(parse_seeds("x").is_err());
        assert!(parse_seeds("5..5").is_err());
        assert_eq!(describe(&[1, 2, 3]), "1..=3");
        assert_eq!(describe(&[3, 9]), "3,9");
    }
}
