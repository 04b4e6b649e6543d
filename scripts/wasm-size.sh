#!/usr/bin/env bash
# Builds the release browser bundle (wasm-release profile + wasm-opt) and prints its size:
# raw, gzip -9 and brotli -q 11, as a server would send it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
cargo leptos build --release --frontend-only >&2
wasm=target/site/pkg/marquee.wasm
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
br=$(brotli -q 11 -c "$wasm" | wc -c)
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
echo "marquee.wasm (release): raw $(kib "$raw") · gzip $(kib "$gz") · brotli $(kib "$br")"
