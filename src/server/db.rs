//! The Postgres pool and the schema migrations embedded in the binary.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::Settings;

/// Migrations from `migrations/`, compiled in (build.rs reruns when the folder changes).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A pool that connects on first use, so the server can start (and report itself unhealthy
/// on `/healthz`) while Postgres is still coming up.
pub fn pool(settings: &Settings) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(settings.database_max_connections)
        // Fail a request quickly rather than queueing it behind a dead database.
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy(&settings.database_url)
}

/// Applies every pending migration. sqlx takes an advisory lock, so several instances
/// starting at once apply each migration exactly once.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// A streaming replica for catalog reads (`DATABASE_REPLICA_URL`).
///
/// It is used only while it is known to be up and at most `DATABASE_REPLICA_MAX_LAG_SECS`
/// behind (a [`monitor`](Replica::monitor) task checks every second; until its first check
/// says so, reads go to the primary). A read that fails on it is retried on the primary.
/// Nothing a visitor just wrote (orders, holds) is read from it: those reads use the primary.
#[derive(Clone)]
pub struct Replica {
    pool: PgPool,
    max_lag: Duration,
    fresh: Arc<AtomicBool>,
}

/// How far behind the primary the replica is, in seconds: 0 when it has replayed everything
/// it received, else the age of the last transaction it replayed.
const LAG: &str = "SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
    END::float8";

impl Replica {
    pub fn new(settings: &Settings) -> Result<Option<Self>, sqlx::Error> {
        let Some(url) = settings.database_replica_url.as_deref() else {
            return Ok(None);
        };
        let pool = PgPoolOptions::new()
            .max_connections(settings.database_max_connections)
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy(url)?;
        Ok(Some(Self {
            pool,
            max_lag: settings.database_replica_max_lag,
            fresh: Arc::default(),
        }))
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether catalog reads go to the replica now.
    pub fn is_fresh(&self) -> bool {
        self.fresh.load(Ordering::Relaxed)
    }

    /// Checks the replica's health and lag every second, for as long as the server runs.
    pub fn monitor(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(1));
            loop {
                ticker.tick().await;
                let lag = tokio::time::timeout(
                    Duration::from_secs(1),
                    sqlx::query_scalar::<_, f64>(LAG).fetch_one(&self.pool),
                )
                .await;
                let fresh = matches!(lag, Ok(Ok(secs)) if secs <= self.max_lag.as_secs_f64());
                if self.fresh.swap(fresh, Ordering::Relaxed) != fresh {
                    match lag {
                        Ok(Ok(secs)) => tracing::warn!(fresh, lag_secs = secs, "replica"),
                        _ => tracing::warn!(fresh, "replica unreachable"),
                    }
                }
            }
        })
    }
}

pub type ReadFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, sqlx::Error>> + Send + 'a>>;

/// Runs a catalog read on the replica when it is fresh, else (or if it fails there) on the
/// primary.
pub async fn read_catalog<T>(
    primary: &PgPool,
    replica: Option<&Replica>,
    read: impl for<'a> Fn(&'a PgPool) -> ReadFuture<'a, T>,
) -> Result<T, sqlx::Error> {
    if let Some(replica) = replica.filter(|r| r.is_fresh()) {
        match read(&replica.pool).await {
            Ok(value) => return Ok(value),
            Err(error) => {
                tracing::warn!(%error, "catalog read failed on the replica; using the primary");
                replica.fresh.store(false, Ordering::Relaxed);
            }
        }
    }
    read(primary).await
}
