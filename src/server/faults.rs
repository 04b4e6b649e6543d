//! Named failpoints for fault-injection tests (feature `failpoints`, never in a release).
//!
//! A failpoint marks a step of the purchase where a crash is worth testing: between the
//! pending order and the charge, between the charge and the paid order, and so on. Without
//! the feature, [`point`] compiles to nothing. With it, the `FAILPOINTS` environment variable
//! (the `fail` crate's syntax, e.g. `FAILPOINTS='purchase::after_charge=return'`, or
//! `1*return` for the first time only) arms points at start; an armed point whose action
//! is `return` kills the process on the spot with `SIGKILL`, exactly like `kill -9` from
//! outside: no destructor, no flush, no goodbye to Redis or Postgres. Other `fail` actions
//! (`sleep(ms)`, `pause`, `panic`) work as the crate documents.
//!
//! | name | reached when |
//! |---|---|
//! | `purchase::before_charge` | the pending order is committed; the gateway has not been called |
//! | `purchase::after_charge` | the gateway captured the charge; the order is still pending |
//! | `purchase::after_paid` | the order is paid in Postgres; Redis does not know the seats are sold |
//! | `purchase::after_settle` | the seats are sold in Redis; the order is not yet fulfilled |
//! | `reconcile::after_resolve` | the reconciler learnt a stale payment's outcome and recorded it |

/// Every failpoint, for tests that go through them all.
pub const POINTS: &[&str] = &[
    "purchase::before_charge",
    "purchase::after_charge",
    "purchase::after_paid",
    "purchase::after_settle",
    "reconcile::after_resolve",
];

/// A failpoint: nothing, unless armed (see the module docs).
#[inline]
pub fn point(name: &'static str) {
    #[cfg(feature = "failpoints")]
    if fail::eval(name, |_| ()).is_some() {
        tracing::warn!(failpoint = name, "failpoint reached: killing the process");
        kill_self();
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}

/// Arms the failpoints named in `FAILPOINTS` (once, at start).
pub fn arm_from_env() {
    #[cfg(feature = "failpoints")]
    {
        let scenario = fail::FailScenario::setup();
        // The scenario lives as long as the process.
        std::mem::forget(scenario);
        if let Ok(points) = std::env::var("FAILPOINTS") {
            tracing::warn!(points, "failpoints armed");
        }
    }
}

#[cfg(feature = "failpoints")]
fn kill_self() -> ! {
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    // `kill` cannot fail on our own pid; should it, end just as abruptly.
    std::process::abort()
}
