#!/usr/bin/env bash
# Installs whatever Marquee needs that is missing, starts Postgres and Redis if they are not
# running, and creates the database. Safe to run again: every step checks before it acts, so a
# second run takes seconds and changes nothing.
#
# Only package registries are used (Debian apt, crates.io, npm): nothing is downloaded from
# anywhere else, which is why cargo-leptos must find wasm-bindgen and wasm-opt on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10 # 0.3.11 needs a newer rustc than the one pinned here
LEPTOSFMT_VERSION=0.1.33
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)

export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

step() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# --- Debian packages ---------------------------------------------------------------------
missing=()
for pkg in postgresql redis-server chromium nodejs npm brotli; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
# Node may come from elsewhere (nodesource, nvm): only install Debian's when there is none.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs/}")
  missing=("${missing[@]/npm/}")
fi
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]})); then
  step "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Rust toolchain pieces -----------------------------------------------------------------
if ! command -v cargo >/dev/null; then
  echo "Rust is not installed; install it with rustup (https://rustup.rs) and rerun." >&2
  exit 1
fi
rustup target list --installed | grep -qx wasm32-unknown-unknown || {
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
}
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

has_version() { command -v "$1" >/dev/null && "$1" --version 2>/dev/null | grep -qF "$2"; }
has_version cargo-leptos "$CARGO_LEPTOS_VERSION" || {
  step "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (about 10 minutes on 2 cores)"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
}
has_version wasm-bindgen "$WASM_BINDGEN_VERSION" || {
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its own lockfile pins a crate version the registry no longer resolves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
}
has_version leptosfmt "$LEPTOSFMT_VERSION" || {
  step "cargo install leptosfmt $LEPTOSFMT_VERSION"
  cargo install leptosfmt --locked --version "$LEPTOSFMT_VERSION"
}

# --- npm packages: Playwright and binaryen's wasm-opt ---------------------------------------
# (Debian's binaryen is too old: its wasm-opt produces a bundle that fails to hydrate.)
if [ ! -f end2end/node_modules/.package-lock.json ] ||
  [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  step "npm ci (end2end)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

# --- Postgres --------------------------------------------------------------------------------
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  read -r pg_version pg_cluster _ < <(pg_lsclusters --no-header | head -n1)
  step "starting Postgres $pg_version/$pg_cluster"
  $SUDO pg_ctlcluster "$pg_version" "$pg_cluster" start
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "Postgres did not start" >&2; exit 1; }
fi
psql_admin() { as_postgres psql -v ON_ERROR_STOP=1 -qtAX "$@"; }
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'marquee'")" ]; then
  step "creating the Postgres role marquee"
  psql_admin -c "CREATE ROLE marquee LOGIN PASSWORD 'marquee' CREATEDB"
fi
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'marquee'")" ]; then
  step "creating the database marquee"
  psql_admin -c "CREATE DATABASE marquee OWNER marquee"
fi

# --- Redis -----------------------------------------------------------------------------------
# With the append-only file, fsynced every second: what people care about that lives only in
# Redis (places in the waiting line, offers, hold extensions) survives a restart of Redis; a
# crash of the machine loses at most the last second or two of it (see the README).
REDIS_DIR=/var/lib/marquee/redis
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
start_redis() {
  mkdir -p "$REDIS_DIR"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$REDIS_DIR" --save '' \
    --appendonly yes --appendfsync everysec --logfile /tmp/marquee-redis.log
  for _ in $(seq 1 40); do redis_up && break; sleep 0.25; done
  redis_up || { echo "Redis did not start" >&2; exit 1; }
}
if ! redis_up; then
  step "starting Redis (append-only file in $REDIS_DIR)"
  start_redis
elif [ "$(redis-cli -h 127.0.0.1 -p 6379 config get appendonly | tail -1)" != "yes" ]; then
  # Started before setup did it this way: Redis cannot move a running server's data
  # directory, so it is restarted.
  step "restarting Redis with its append-only file in $REDIS_DIR"
  redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 1 40); do redis_up || break; sleep 0.25; done
  start_redis
fi

# Migrations and the demo catalog are applied by the server itself when it starts (and by
# each integration test on its own database), so schema and code can never disagree.
step "setup complete"
