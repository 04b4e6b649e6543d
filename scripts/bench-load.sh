#!/usr/bin/env bash
# make bench-load: the showtime page's load in Chromium with CPU 4x slower and Slow 3G
# (end2end/load/measure.mjs), for the release build `make run` serves (precompressed bundles
# under content-hashed names) against the debug build (`make dev`, which `make run` served
# before: a lightly optimised bundle under plain names, which this server compresses on the
# fly), measured in this one run. Servers on 127.0.0.1:3400-3401, their own database and Redis
# index 5.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
PG_SERVER="postgres://marquee:marquee@127.0.0.1:5432"
DB=marquee_bench_load
REDIS="redis://127.0.0.1:6379/5"
WORK=target/bench-load
rm -rf "$WORK"
mkdir -p "$WORK"

# Each build into a copy of its own: both write target/site.
scripts/build.sh >&2
mkdir -p "$WORK/debug" && cp target/debug/marquee "$WORK/debug/" && cp -r target/site "$WORK/debug/"
scripts/build.sh --release >&2
mkdir -p "$WORK/release" && cp target/release/marquee "$WORK/release/" && cp -r target/site "$WORK/release/"

psql "$PG_SERVER/postgres" -qX -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
redis-cli -n 5 flushdb >/dev/null
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
port=3400
for build in debug release; do
  LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$WORK/$build/site" \
    DATABASE_URL="$PG_SERVER/$DB" REDIS_URL="$REDIS" RUST_LOG=warn \
    "$WORK/$build/marquee" >"$WORK/$build.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 120); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
  port=$((port + 1))
done
# The Grand Hall (352 seats), as in the other benchmarks.
showtime=$(psql "$PG_SERVER/$DB" -qtAX -c "SELECT s.id FROM showtimes s
  JOIN auditoriums a ON a.id = s.auditorium_id
  WHERE a.name = 'Grand Hall' AND s.starts_at > now() ORDER BY s.starts_at LIMIT 1")
cd end2end
# The debug bundle is megabytes at 50 kB/s: one run of it is enough to compare.
node load/measure.mjs "debug build, compressed on the fly:1=http://127.0.0.1:3400/showtimes/$showtime" \
  "release build (make run), precompressed, hashed=http://127.0.0.1:3401/showtimes/$showtime"
