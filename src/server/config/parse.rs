//! How an environment variable's text becomes a setting: parsed or refused with a message
//! naming the variable (never replaced by the default), numbers that must be positive,
//! switches, tokens, the Redis key prefix and cluster nodes, and the rate limits.

use std::str::FromStr;
use std::time::Duration;

use super::Secret;
use crate::server::limits::{Rate, RateLimits};

pub(super) fn parsed<T: FromStr>(
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

/// A number that must be at least 1.
pub(super) fn positive<T: FromStr + PartialOrd + From<u8>>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<T, ConfigError> {
    let value: T = parsed(lookup, name, default)?;
    if value < T::from(1) {
        return Err(ConfigError {
            name,
            value: lookup(name).unwrap_or_default(),
        });
    }
    Ok(value)
}

pub(super) fn rate_limits(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<RateLimits, ConfigError> {
    let defaults = RateLimits::default();
    let rate = |name: &'static str, default: Rate| -> Result<Rate, ConfigError> {
        parsed(lookup, name, &default.to_string())
    };
    Ok(RateLimits {
        enabled: parsed_bool(lookup, "RATE_LIMITS", defaults.enabled)?,
        new_sessions_per_ip: rate("RATE_NEW_SESSIONS_PER_IP", defaults.new_sessions_per_ip)?,
        holds_per_session: rate("RATE_HOLDS_PER_SESSION", defaults.holds_per_session)?,
        holds_per_ip: rate("RATE_HOLDS_PER_IP", defaults.holds_per_ip)?,
        purchases_per_session: rate("RATE_PURCHASES_PER_SESSION", defaults.purchases_per_session)?,
        purchases_per_ip: rate("RATE_PURCHASES_PER_IP", defaults.purchases_per_ip)?,
        declines_per_session: rate("RATE_DECLINES_PER_SESSION", defaults.declines_per_session)?,
        declines_per_ip: rate("RATE_DECLINES_PER_IP", defaults.declines_per_ip)?,
        declines_per_card: rate("RATE_DECLINES_PER_CARD", defaults.declines_per_card)?,
        joins_per_session: rate("RATE_JOINS_PER_SESSION", defaults.joins_per_session)?,
        joins_per_ip: rate("RATE_JOINS_PER_IP", defaults.joins_per_ip)?,
        sockets_per_ip: rate("RATE_SOCKETS_PER_IP", defaults.sockets_per_ip)?,
        resyncs_per_ip: rate("RATE_RESYNCS_PER_IP", defaults.resyncs_per_ip)?,
        staff_logins_per_ip: rate("RATE_STAFF_LOGINS_PER_IP", defaults.staff_logins_per_ip)?,
    })
}

/// A positive number of seconds.
pub(super) fn secs(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<Duration, ConfigError> {
    positive(lookup, name, default).map(Duration::from_secs)
}

pub(super) fn cluster_nodes(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>, ConfigError> {
    let raw = lookup("REDIS_CLUSTER_NODES").unwrap_or_default();
    let nodes: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|node| !node.is_empty())
        .map(str::to_owned)
        .collect();
    if nodes.iter().all(|node| node.starts_with("redis://")) {
        Ok(nodes)
    } else {
        Err(ConfigError {
            name: "REDIS_CLUSTER_NODES",
            value: raw,
        })
    }
}

pub(super) fn prefix(lookup: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let value = lookup("REDIS_KEY_PREFIX")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "marquee".to_string());
    // Braces would change the Redis Cluster hash tag of every key.
    let ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(value)
    } else {
        Err(ConfigError {
            name: "REDIS_KEY_PREFIX",
            value,
        })
    }
}

/// An optional bearer token: at least 16 characters (it guards what the service reveals about
/// itself), printable ASCII without spaces (it travels in a header).
pub(super) fn token(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<Secret>, ConfigError> {
    let Some(value) = lookup(name).filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let value = value.trim();
    if value.len() >= 16 && value.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Some(Secret(value.to_string())))
    } else {
        Err(ConfigError {
            name,
            // Not the value: it is meant to be a secret.
            value: format!("({} characters; need at least 16, no spaces)", value.len()),
        })
    }
}

pub(super) fn parsed_bool(
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
