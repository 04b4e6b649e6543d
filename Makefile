# The two commands of the quick start are `make run` and `make test`; `make cluster` is a third.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)

.PHONY: run test test-cluster faults setup cluster cluster-stop bench bench-cluster wasm-size fmt

## Install what is missing, start Postgres and Redis, then build and serve the demo
## at http://127.0.0.1:3000 (migrations and the demo catalog are applied on start).
run: setup
	cargo leptos serve

## Every check and test suite; ends with "N passed, N failed".
test:
	@scripts/test.sh

## Fault-injection soak: 1,000 seeded scenarios (kills at every failpoint, Redis flushed,
## restarted and killed, Postgres restarted, an instance frozen), each checked for broken
## promises; ends with a summary line. FAULT_SEEDS=417 re-runs one seed, FAULT_SEEDS=a..=b
## others; FAULT_JOBS scenarios run side by side (default 3).
faults: setup
	@mkdir -p target/test-logs && set -o pipefail && FAULT_SEEDS="$${FAULT_SEEDS:-1..=1000}" \
	  RUSTFLAGS="--cfg erase_components" cargo test --features ssr,failpoints --test faults \
	  2>&1 | tee target/test-logs/faults.log

## Idempotent: installs tools and packages, starts services, creates the database.
setup:
	@scripts/setup.sh

## The whole topology on this machine, in the background: HAProxy on :8080 (stats :8404) in
## front of three instances (:3201-:3203), a Redis Cluster (:7001-:7006: three primaries, a
## replica each), Postgres primary :5433 with a streaming replica :5434. Idempotent; the
## server is built as for `make run`. Data in /var/lib/marquee/cluster, logs in
## target/cluster-logs; `scripts/cluster.sh status` reports on each part.
cluster: setup
	cargo leptos build
	@scripts/cluster.sh up

## The cluster suite alone (make test runs it too): a fresh topology, a flash sale through
## HAProxy with an instance and a Redis primary killed mid-sale, then the topology stopped.
test-cluster: setup
	env -u RUSTFLAGS cargo leptos build
	@scripts/test-cluster.sh

## Stops everything `make cluster` started (the data stays for the next `make cluster`).
cluster-stop:
	@scripts/cluster.sh down

## Benchmarks (release build): holds over HTTP vs the hold script on Redis, flash sale;
## the live feed; the waiting line; the cost of the abuse limits; best available.
bench: setup
	@ulimit -n "$$(ulimit -Hn)" && cargo bench --features ssr --bench load && cargo bench --features ssr --bench live && cargo bench --features ssr --bench line && cargo bench --features ssr --bench protections && cargo bench --features ssr --bench best

## Scale-out benchmark (release build, ~2 minutes): 1 vs 3 app instances on a private Redis vs
## a private 3-shard Redis Cluster it starts itself (loopback ports from 7400), the hot spot
## of one showtime, the live feed's CPU per delivery. Apart from `bench`: it runs its own
## Redis servers (redis-server and redis-cli on PATH).
bench-cluster: setup
	@ulimit -n "$$(ulimit -Hn)" && cargo bench --features ssr --bench cluster

## Release build of the browser bundle, and its size raw, gzip and brotli.
wasm-size: setup
	@scripts/wasm-size.sh

## Format Rust code and view! macros.
fmt:
	cargo fmt --all
	leptosfmt src
