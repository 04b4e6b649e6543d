//! What every benchmark needs: a database of its own and settings for an app on it; and, for
//! the cluster bench, Redis servers of its own, app instances on runtimes of their own and CPU
//! time by who spent it.

// Every bench compiles this module; only the cluster bench uses these three.
#[allow(dead_code)]
pub mod cpu;
#[allow(dead_code)]
pub mod instance;
// Not every bench uses each of these.
#[allow(dead_code)]
pub mod measure;
#[allow(dead_code)]
pub mod redis_servers;

use marquee::server::Settings;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// A fresh database on `BENCH_DATABASE_SERVER` (default: the local `marquee` role), dropped by
/// [`BenchDatabase::drop`].
pub struct BenchDatabase {
    admin: PgConnection,
    name: String,
    pub url: String,
}

impl BenchDatabase {
    pub async fn create(kind: &str) -> Self {
        let server = std::env::var("BENCH_DATABASE_SERVER")
            .unwrap_or_else(|_| "postgres://marquee:marquee@127.0.0.1:5432".into());
        let name = format!("marquee_bench_{kind}_{}", std::process::id());
        let mut admin = PgConnection::connect(&format!("{server}/postgres"))
            .await
            .expect("Postgres is reachable (run `make setup`)");
        // The name is built above from a constant and the process id, never from input.
        for statement in [
            format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#),
            format!(r#"CREATE DATABASE "{name}""#),
        ] {
            sqlx::query(AssertSqlSafe(statement))
                .execute(&mut admin)
                .await
                .unwrap();
        }
        Self {
            admin,
            url: format!("{server}/{name}"),
            name,
        }
    }

    /// Settings for an app on this database, on port 0, with Redis index 4 and its own key
    /// prefix, plus `extra`.
    pub fn settings(&self, extra: &[(&str, &str)]) -> Settings {
        let mut vars: Vec<(String, String)> = vec![
            ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
            ("DATABASE_URL".into(), self.url.clone()),
            ("REDIS_URL".into(), "redis://127.0.0.1:6379/4".into()),
            ("REDIS_KEY_PREFIX".into(), self.name.replace('_', "-")),
            // The load comes from one address; per-address budgets would measure themselves.
            ("RATE_LIMITS".into(), "false".into()),
            ("MAX_SEATS_PER_IP".into(), "1000000".into()),
        ];
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Settings::from_lookup(|name| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("bench settings are valid")
    }

    /// The `nth` upcoming showtime in the named demo auditorium.
    #[allow(dead_code)] // each bench compiles this module; the waiting-line one picks its own
    pub async fn showtime_in(db: &sqlx::PgPool, auditorium: &str, nth: i64) -> i64 {
        sqlx::query_scalar(
            "SELECT s.id FROM showtimes s JOIN auditoriums a ON a.id = s.auditorium_id
              WHERE a.name = $1 AND s.starts_at > now() ORDER BY s.starts_at OFFSET $2 LIMIT 1",
        )
        .bind(auditorium)
        .bind(nth)
        .fetch_one(db)
        .await
        .unwrap()
    }

    pub async fn drop(mut self) {
        let statement = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
        let _ = sqlx::query(AssertSqlSafe(statement))
            .execute(&mut self.admin)
            .await;
    }
}
