#!/usr/bin/env bash
# Runs every check and test suite against real services, then prints one line
# "N passed, N failed" summed over all of them, and exits non-zero if anything failed.
#
# Suites: format and lint checks (one each), Rust unit and integration tests (against real
# Postgres and Redis, one fresh database per test), a short seeded slice of fault-injection
# scenarios (tests/faults: private Postgres and Redis, the binary killed at failpoints), and
# the Playwright suite (Debian Chromium against the real server, on its own database and
# Redis index), and the cluster suite (scripts/test-cluster.sh: the whole `make cluster`
# topology, real processes, with an instance and a Redis primary killed mid-sale), and the
# release browser bundle's size against its budget (scripts/wasm-size.sh).
set -uo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
# The same flag cargo-leptos sets for debug builds, so tests reuse its compiled dependencies.
export RUSTFLAGS="--cfg erase_components"
export CARGO_TERM_COLOR=never
# A test run builds each crate once: incremental caches would only add gigabytes to target/.
export CARGO_INCREMENTAL=0

PG_SERVER="postgres://marquee:marquee@127.0.0.1:5432"
E2E_ADDR="127.0.0.1:3100"
E2E_SHORT_TTL_ADDR="127.0.0.1:3101" # a second instance whose holds last 4 s, for expiry tests
E2E_LIMITED_ADDR="127.0.0.1:3102"   # a third, with a tiny hold budget, for the rate-limit test
E2E_DB="marquee_e2e"
E2E_REDIS="redis://127.0.0.1:6379/2"
LOGS="target/test-logs"
mkdir -p "$LOGS"

passed=0
failed=0
failures=()

section() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

# A check counts as one test.
check() {
  local name=$1
  shift
  section "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

check "cargo fmt --check" cargo fmt --all -- --check
check "leptosfmt --check" leptosfmt --check src
# With failpoints, as the tests are built (the fault-injection target needs them; without an
# armed FAILPOINTS variable they do nothing).
check "clippy (ssr, failpoints)" cargo clippy --features ssr,failpoints --all-targets -- -D warnings
check "clippy (hydrate)" cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
check "clippy (staff bundle)" cargo clippy --lib --features staff-bundle --target wasm32-unknown-unknown -- -D warnings

# --- Rust unit and integration tests -----------------------------------------------------------
# One invocation: unit tests, tests/api, and tests/faults, whose default is a short seeded
# slice covering every fault kind (`make faults` runs the long soak). --no-fail-fast: a
# failing test binary must not hide the results of the next.
section "cargo test (unit + integration + fault slice, real Postgres and Redis)"
# Databases left by earlier runs (each integration test creates its own).
psql "$PG_SERVER/postgres" -qtAX -c \
  "SELECT datname FROM pg_database WHERE datname LIKE 'marquee\_test\_%'" |
  while read -r db; do psql "$PG_SERVER/postgres" -qX -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; done
redis-cli -n 1 flushdb >/dev/null
TEST_DATABASE_SERVER="$PG_SERVER" TEST_REDIS_URL="redis://127.0.0.1:6379/1" \
  cargo test --no-fail-fast --features ssr,failpoints 2>&1 | tee "$LOGS/cargo-test.log"
cargo_status=${PIPESTATUS[0]}
read -r rust_passed rust_failed < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
  } END { print p + 0, f + 0 }' "$LOGS/cargo-test.log")
if [ "$cargo_status" -ne 0 ] && [ "$rust_failed" -eq 0 ]; then
  rust_failed=1 # did not compile, or crashed before reporting
fi
passed=$((passed + rust_passed))
failed=$((failed + rust_failed))
[ "$rust_failed" -eq 0 ] || failures+=("cargo test ($rust_failed)")

# --- End-to-end: Playwright against the real server -------------------------------------------
section "end-to-end (Playwright, Chromium)"
e2e() {
  # The server and both browser bundles (debug).
  scripts/build.sh || return 1
  psql "$PG_SERVER/postgres" -qX -c "DROP DATABASE IF EXISTS $E2E_DB WITH (FORCE)" || return 1
  psql "$PG_SERVER/postgres" -qX -c "CREATE DATABASE $E2E_DB" || return 1
  redis-cli -n 2 flushdb >/dev/null || return 1
  # The first admin of the staff tests (end2end/tests/staff.spec.ts); every browser of the
  # on-sale test comes from 127.0.0.1, so one address may have several places in a queue.
  LEPTOS_SITE_ADDR="$E2E_ADDR" LEPTOS_SITE_ROOT=target/site \
    ADMIN_EMAIL=admin@marquee.test ADMIN_PASSWORD=e2e-admin-password-0001 \
    QUEUE_PLACES_PER_ADDRESS=10 \
    DATABASE_URL="$PG_SERVER/$E2E_DB" REDIS_URL="$E2E_REDIS" RUST_LOG=info \
    target/debug/marquee >"$LOGS/e2e-server.log" 2>&1 &
  local server=$!
  # Same database and Redis; only the hold time differs.
  LEPTOS_SITE_ADDR="$E2E_SHORT_TTL_ADDR" LEPTOS_SITE_ROOT=target/site HOLD_TTL_SECS=4 \
    DATABASE_URL="$PG_SERVER/$E2E_DB" REDIS_URL="$E2E_REDIS" RUST_LOG=info \
    target/debug/marquee >"$LOGS/e2e-server-short-ttl.log" 2>&1 &
  local short_ttl_server=$!
  # Its own Redis keys: what it holds is invisible to the other two.
  LEPTOS_SITE_ADDR="$E2E_LIMITED_ADDR" LEPTOS_SITE_ROOT=target/site RATE_HOLDS_PER_SESSION=3/60 \
    REDIS_KEY_PREFIX=marquee-limited DEMO_CATALOG=false \
    DATABASE_URL="$PG_SERVER/$E2E_DB" REDIS_URL="$E2E_REDIS" RUST_LOG=info \
    target/debug/marquee >"$LOGS/e2e-server-limited.log" 2>&1 &
  local limited_server=$!
  rm -f end2end/test-results/results.json
  (cd end2end && BASE_URL="http://$E2E_ADDR" SHORT_TTL_URL="http://$E2E_SHORT_TTL_ADDR" \
    LIMITED_URL="http://$E2E_LIMITED_ADDR" npx playwright test)
  local status=$?
  kill -TERM "$server" "$short_ttl_server" "$limited_server" 2>/dev/null
  wait "$server" "$short_ttl_server" "$limited_server" 2>/dev/null
  return $status
}
e2e
e2e_status=$?
results=end2end/test-results/results.json
if [ -f "$results" ]; then
  read -r e2e_passed e2e_failed < <(node -e '
    const s = require(process.argv[1]).stats;
    console.log(s.expected + s.flaky, s.unexpected);' "$PWD/$results")
else
  e2e_passed=0
  e2e_failed=0
fi
if [ "$e2e_status" -ne 0 ] && [ "$e2e_failed" -eq 0 ]; then
  e2e_failed=1 # build, server or runner failure before any test reported
  echo "end-to-end did not run; server log: $LOGS/e2e-server.log"
fi
passed=$((passed + e2e_passed))
failed=$((failed + e2e_failed))
[ "$e2e_failed" -eq 0 ] || failures+=("end-to-end ($e2e_failed)")

# --- The cluster: HAProxy, three instances, Redis Cluster, Postgres replica --------------------
# After the end-to-end build, which is the server `make cluster` runs.
section "cluster (make cluster's topology: a flash sale with an instance and a Redis primary killed)"
scripts/test-cluster.sh 2>&1 | tee "$LOGS/cluster-test.log"
cluster_status=${PIPESTATUS[0]}
read -r cluster_passed cluster_failed < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
  } END { print p + 0, f + 0 }' "$LOGS/cluster-test.log")
if [ "$cluster_status" -ne 0 ] && [ "$cluster_failed" -eq 0 ]; then
  cluster_failed=1 # the topology did not come up, or the test did not build
  echo "the cluster suite did not run; see $LOGS/cluster.log"
fi
passed=$((passed + cluster_passed))
failed=$((failed + cluster_failed))
[ "$cluster_failed" -eq 0 ] || failures+=("cluster ($cluster_failed)")

# --- The browser bundle's weight -----------------------------------------------------------------
# Last: a release build of both bundles (it leaves content-hashed release files in target/site).
check "visitor bundle within its budget (release, brotli)" scripts/wasm-size.sh

echo
if ((${#failures[@]})); then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
