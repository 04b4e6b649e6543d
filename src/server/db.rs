//! The Postgres pool and the schema migrations embedded in the binary.

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
