# The two commands of the quick start are `make run` and `make test`; `make cluster` is a third.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)

.PHONY: run dev test test-cluster faults setup cluster cluster-stop bench bench-onsale bench-room bench-cluster bench-designs wasm-size bench-load fmt

## Install what is missing, start Postgres and Redis, then build for release and serve the
## demo at http://127.0.0.1:3000 (migrations and the demo catalog are applied on start): the
## optimised bundles, precompressed, under content-hashed names cached for a year.
run: setup
	scripts/build.sh --release
	LEPTOS_SITE_ROOT=target/site target/release/marquee

## For development: debug build, rebuilt and reloaded on every change (`cargo leptos watch`).
## The staff bundle is built once at the start: after changing a staff page, run it again.
dev: setup
	scripts/build.sh
	cargo leptos watch

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
	scripts/build.sh
	@scripts/cluster.sh up

## The cluster suite alone (make test runs it too): a fresh topology, a flash sale through
## HAProxy with an instance and a Redis primary killed mid-sale, then the topology stopped.
test-cluster: setup
	scripts/build.sh
	@scripts/test-cluster.sh

## Stops everything `make cluster` started (the data stays for the next `make cluster`).
cluster-stop:
	@scripts/cluster.sh down

## Benchmarks (release build): holds over HTTP vs the hold script on Redis, flash sale;
## the live feed; the waiting line; the cost of the abuse limits; best available.
bench: setup
	@ulimit -n "$$(ulimit -Hn)" && cargo bench --features ssr --bench load && cargo bench --features ssr --bench live && cargo bench --features ssr --bench line && cargo bench --features ssr --bench protections && cargo bench --features ssr --bench best

## On-sale scale benchmark (release build, a few minutes): 10,000 buyers race for a 1,000-seat
## auditorium through the HTTP API (nothing sold twice); the live feed at 5,000 sockets on one
## showtime, against 1,000 in the same run.
bench-onsale: setup
	@ulimit -n "$$(ulimit -Hn)" && cargo bench --features ssr --bench onsale

## Waiting-room benchmark (release build, ~2 minutes): 1,000 then 5,000 visitors in one
## on-sale's queue on one instance: joins, how soon each learns its place after the opening
## (live sockets), the admission rate against the configured one, the cap.
bench-room: setup
	@ulimit -n "$$(ulimit -Hn)" && cargo bench --features ssr --bench room

## Scale-out benchmark (release build, ~2 minutes): 1 vs 3 app instances on a private Redis vs
## a private 3-shard Redis Cluster it starts itself (loopback ports from 7400), the hot spot
## of one showtime, the live feed's CPU per delivery. Apart from `bench`: it runs its own
## Redis servers (redis-server and redis-cli on PATH).
bench-cluster: setup
	@ulimit -n "$$(ulimit -Hn)" && cargo bench --features ssr --bench cluster

## Hold designs side by side (release build, then ~4 minutes): Postgres row locks (alf.io), a
## Postgres upsert (Revel), a Redis lock per event (pretix) and Marquee's engine, each behind
## the same minimal router; holds/s, open-loop latency and a flash sale, ratios to Marquee.
bench-designs: setup
	@ulimit -n "$$(ulimit -Hn)" && cargo bench --features ssr --bench designs

## Release build of both browser bundles, their sizes raw, gzip and brotli, and the visitor
## bundle's brotli size against its budget (`make test` runs the same check).
wasm-size: setup
	@scripts/wasm-size.sh

## The showtime page's load in Chromium (release build, CPU 4x slower, slow 3G): time to the
## seat map's first paint and to hydration, first and repeat visit.
bench-load: setup
	@scripts/bench-load.sh

## Format Rust code and view! macros.
fmt:
	cargo fmt --all
	leptosfmt src
