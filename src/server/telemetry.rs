//! Structured logs through `tracing`; `RUST_LOG` overrides the default filter.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,marquee=debug,tower_http=info,sqlx=warn"));
    // `try_init`: tests start several applications in one process; only the first installs.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
