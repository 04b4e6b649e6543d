#!/usr/bin/env bash
# The cluster suite: a fresh `make cluster` topology (HAProxy, three instances, a Redis
# Cluster, a Postgres primary and streaming replica, all real processes on loopback), then a
# flash sale through the balancer during which an instance and the Redis primary of the
# showtime's slot are killed (tests/cluster_sale.rs), then the topology is stopped.
#
# Expects the server built (`cargo leptos build`, as `make test` has done by then). Resets
# any cluster this machine runs: its ports are fixed. Prints cargo test's own summary.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS=target/test-logs
mkdir -p "$LOGS"

scripts/cluster.sh reset >"$LOGS/cluster.log" 2>&1
# Payments cut off by the kill are settled within the test: stale after 3 s, not 30.
if ! PAYMENT_TIMEOUT_MS=1000 PAYMENT_STALE_SECS=3 RECONCILE_INTERVAL_MS=500 \
  scripts/cluster.sh up >>"$LOGS/cluster.log" 2>&1; then
  tail -n 30 "$LOGS/cluster.log"
  scripts/cluster.sh down >>"$LOGS/cluster.log" 2>&1
  exit 1
fi
RUSTFLAGS="--cfg erase_components" cargo test --features ssr,failpoints --test cluster_sale \
  -- --ignored --nocapture
status=$?
scripts/cluster.sh down >>"$LOGS/cluster.log" 2>&1
exit $status
