# The two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)

.PHONY: run test setup bench bench-cluster wasm-size fmt

## Install what is missing, start Postgres and Redis, then build and serve the demo
## at http://127.0.0.1:3000 (migrations and the demo catalog are applied on start).
run: setup
	cargo leptos serve

## Every check and test suite; ends with "N passed, N failed".
test:
	@scripts/test.sh

## Idempotent: installs tools and packages, starts services, creates the database.
setup:
	@scripts/setup.sh

## Benchmarks (release build): holds over HTTP vs the hold script on Redis, flash sale;
## the live feed; the waiting line; the cost of the abuse limits.
bench: setup
	@ulimit -n "$$(ulimit -Hn)" && cargo bench --features ssr --bench load && cargo bench --features ssr --bench live && cargo bench --features ssr --bench line && cargo bench --features ssr --bench protections

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
