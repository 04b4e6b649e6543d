//! Reading the facts after recovery: orders, tickets and the test gateway's ledger from
//! Postgres, the sold seats each instance shows (its WebSocket snapshot and `GET
//! /api/seat_map`), and where everyone who waited in line stands now.
//!
//! The queries adapt to the schema they find (`information_schema`), so the harness runs
//! against a server that does not have every column yet; what is missing reads as `NULL`,
//! and a missing ledger is itself reported by the checker.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use sqlx::{AssertSqlSafe, PgPool};

use super::checker::{Charge, LineMember, MapView, Order};

/// The columns of `table` that exist.
async fn columns(db: &PgPool, table: &str) -> sqlx::Result<BTreeSet<String>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1",
    )
    .bind(table)
    .fetch_all(db)
    .await?;
    Ok(names.into_iter().collect())
}

/// `column` if it exists, else a typed `NULL` (or `fallback`) under its name.
fn or_default(present: &BTreeSet<String>, column: &str, fallback: &str) -> String {
    if present.contains(column) {
        column.to_string()
    } else {
        format!("{fallback} AS {column}")
    }
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    showtime_id: i64,
    status: String,
    idempotency_key: String,
    payment_key: Option<String>,
    charge_id: Option<String>,
    session_id: String,
    total_cents: i64,
}

pub async fn orders(db: &PgPool) -> sqlx::Result<Vec<Order>> {
    let order_columns = columns(db, "orders").await?;
    let ticket_columns = columns(db, "tickets").await?;
    // Only names from this file go into the SQL: nothing read from the database.
    let sql = format!(
        "SELECT id, showtime_id, status, idempotency_key, {}, {}, session_id,
                total_cents::bigint AS total_cents
           FROM orders ORDER BY id",
        or_default(&order_columns, "payment_key", "NULL::text"),
        or_default(&order_columns, "charge_id", "NULL::text"),
    );
    let rows: Vec<OrderRow> = sqlx::query_as(AssertSqlSafe(sql)).fetch_all(db).await?;
    let sql = format!(
        "SELECT order_id, seat_id, {} FROM tickets ORDER BY order_id, seat_id",
        or_default(&ticket_columns, "active", "true"),
    );
    let tickets: Vec<(i64, i64, bool)> = sqlx::query_as(AssertSqlSafe(sql)).fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| Order {
            tickets: tickets
                .iter()
                .filter(|(order, _, _)| *order == row.id)
                .map(|(_, seat, active)| (*seat, *active))
                .collect(),
            id: row.id,
            showtime_id: row.showtime_id,
            status: row.status,
            idempotency_key: row.idempotency_key,
            payment_key: row.payment_key,
            charge_id: row.charge_id,
            session_id: row.session_id,
            total_cents: row.total_cents,
        })
        .collect())
}

/// The test gateway's ledger, `None` if it keeps none.
pub async fn ledger(db: &PgPool) -> sqlx::Result<Option<Vec<Charge>>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('test_gateway_charges') IS NOT NULL")
        .fetch_one(db)
        .await?;
    if !exists {
        return Ok(None);
    }
    let rows: Vec<(String, Option<String>, i64, String)> = sqlx::query_as(
        "SELECT idempotency_key, charge_id, amount_cents::bigint, status
           FROM test_gateway_charges ORDER BY idempotency_key",
    )
    .fetch_all(db)
    .await?;
    Ok(Some(
        rows.into_iter()
            .map(
                |(idempotency_key, charge_id, amount_cents, status)| Charge {
                    idempotency_key,
                    charge_id,
                    amount_cents,
                    status,
                },
            )
            .collect(),
    ))
}

/// Whether orders have the payment states (`pending` … `fulfilled`) the reconciler drives.
pub async fn has_payment_states(db: &PgPool) -> sqlx::Result<bool> {
    Ok(columns(db, "orders").await?.contains("payment_key"))
}

/// Orders still waiting for their payment's outcome (nothing to wait for on a schema
/// without those states).
pub async fn unresolved(db: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM orders WHERE status IN ('pending', 'paid')")
        .fetch_one(db)
        .await
}

/// The seats Postgres says are sold (tickets of paid or fulfilled orders).
pub async fn sold(db: &PgPool, showtime: i64) -> sqlx::Result<BTreeSet<i64>> {
    let seats: Vec<i64> = sqlx::query_scalar(
        "SELECT t.seat_id FROM tickets t JOIN orders o ON o.id = t.order_id
          WHERE t.showtime_id = $1 AND o.status IN ('paid', 'fulfilled')",
    )
    .bind(showtime)
    .fetch_all(db)
    .await?;
    Ok(seats.into_iter().collect())
}

fn seat_list(value: &Value) -> Option<BTreeSet<i64>> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
}

/// The sold seats `GET /api/seat_map` shows an anonymous visitor.
pub async fn http_sold(http: &reqwest::Client, base: &str, showtime: i64) -> Option<BTreeSet<i64>> {
    let url = format!("{base}/api/seat_map?showtime_id={showtime}");
    let response = http.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let map: Value = response.json().await.ok()?;
    seat_list(&map["sold"])
}

/// The sold seats of the first snapshot the live feed sends.
pub async fn ws_sold(base: &str, showtime: i64) -> Option<BTreeSet<i64>> {
    let url = format!("{}/ws/showtimes/{showtime}", base.replacen("http", "ws", 1));
    let read = async {
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.ok()?;
        while let Some(Ok(message)) = socket.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                let event: Value = serde_json::from_str(&text).ok()?;
                if event["type"] == "snapshot" {
                    let _ = socket.close(None).await;
                    return seat_list(&event["state"]["sold"]);
                }
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(3), read)
        .await
        .ok()
        .flatten()
}

/// Both views of every instance.
pub async fn maps(
    http: &reqwest::Client,
    instances: &[(&str, String)],
    showtime: i64,
) -> Vec<MapView> {
    let mut views = Vec::new();
    for (name, base) in instances {
        views.push(MapView {
            source: format!("{name} ws"),
            showtime_id: showtime,
            sold: ws_sold(base, showtime).await,
        });
        views.push(MapView {
            source: format!("{name} seat_map"),
            showtime_id: showtime,
            sold: http_sold(http, base, showtime).await,
        });
    }
    views
}

/// Where one person from the line stands now: asked with their own cookie.
pub async fn line_member(
    http: &reqwest::Client,
    base: &str,
    showtime: i64,
    cookie: &str,
    mut member: LineMember,
) -> LineMember {
    let get = |path: String| {
        http.get(format!("{base}{path}"))
            .header(reqwest::header::COOKIE, cookie)
            .send()
    };
    let place = async {
        let response = get(format!("/api/line/place?showtime_id={showtime}"))
            .await
            .ok()?;
        response.status().is_success().then_some(())?;
        response.json::<Value>().await.ok()
    }
    .await;
    let map = async {
        let response = get(format!("/api/seat_map?showtime_id={showtime}"))
            .await
            .ok()?;
        response.status().is_success().then_some(())?;
        response.json::<Value>().await.ok()
    }
    .await;
    match (place, map) {
        (Some(place), Some(map)) => {
            member.read_ok = true;
            member.in_line_now = !place.is_null() || !map["line"].is_null();
            member.holds_now = map["offer"] == true
                || map["hold"]["seat_ids"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty());
        }
        _ => member.read_ok = false,
    }
    member
}
