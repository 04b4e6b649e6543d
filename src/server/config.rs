//! Settings, read once at startup from environment variables.
//!
//! Every variable has a default that works with `make run` on one machine, so a newcomer
//! needs no configuration at all. A value that is present but malformed stops the server with
//! a message naming the variable, rather than being silently replaced by the default.

use std::net::SocketAddr;
use std::str::FromStr;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `LEPTOS_SITE_ADDR`: where to listen (cargo-leptos sets it from Cargo.toml).
    pub site_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT`: the directory holding the built `pkg/` and public assets.
    pub site_root: String,
    /// `DATABASE_URL`: the Postgres database (system of record).
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS`: size of the Postgres pool.
    pub database_max_connections: u32,
    /// `REDIS_URL`: the Redis server for short-lived shared state.
    pub redis_url: String,
    /// `DEMO_CATALOG`: load the demo theater into an empty database and keep its schedule
    /// filled for the coming week.
    pub demo_catalog: bool,
}

impl Settings {
    pub const DEFAULT_DATABASE_URL: &'static str =
        "postgres://marquee:marquee@127.0.0.1:5432/marquee";
    pub const DEFAULT_REDIS_URL: &'static str = "redis://127.0.0.1:6379/0";

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply variables without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let parse = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            Ok(lookup(name)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_string()))
        };
        Ok(Self {
            site_addr: parsed(&lookup, "LEPTOS_SITE_ADDR", "127.0.0.1:3000")?,
            site_root: parse("LEPTOS_SITE_ROOT", "target/site")?,
            database_url: parse("DATABASE_URL", Self::DEFAULT_DATABASE_URL)?,
            database_max_connections: parsed(&lookup, "DATABASE_MAX_CONNECTIONS", "10")?,
            redis_url: parse("REDIS_URL", Self::DEFAULT_REDIS_URL)?,
            demo_catalog: parsed_bool(&lookup, "DEMO_CATALOG", true)?,
        })
    }
}

fn parsed<T: FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<T, ConfigError> {
    let raw = lookup(name)
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string());
    raw.trim()
        .parse()
        .map_err(|_| ConfigError { name, value: raw })
}

fn parsed_bool(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match lookup(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v.is_empty() => Ok(default),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(value) => Err(ConfigError { name, value }),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("environment variable {name} has an invalid value {value:?}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_work_without_any_variable() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.database_url, Settings::DEFAULT_DATABASE_URL);
        assert_eq!(s.database_max_connections, 10);
        assert!(s.demo_catalog);
    }

    #[test]
    fn malformed_values_name_the_variable() {
        let err = settings(&[("DATABASE_MAX_CONNECTIONS", "many")]).unwrap_err();
        assert_eq!(err.name, "DATABASE_MAX_CONNECTIONS");
        let err = settings(&[("DEMO_CATALOG", "maybe")]).unwrap_err();
        assert_eq!(err.name, "DEMO_CATALOG");
        let err = settings(&[("LEPTOS_SITE_ADDR", "localhost")]).unwrap_err();
        assert_eq!(err.name, "LEPTOS_SITE_ADDR");
    }

    #[test]
    fn explicit_values_win() {
        let s = settings(&[
            ("DEMO_CATALOG", "off"),
            ("LEPTOS_SITE_ADDR", "0.0.0.0:8080"),
        ])
        .unwrap();
        assert!(!s.demo_catalog);
        assert_eq!(s.site_addr.port(), 8080);
    }
}
