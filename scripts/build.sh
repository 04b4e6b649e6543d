#!/usr/bin/env bash
# Builds the server and both browser bundles into target/site (see src/app/bundle.rs):
#   - the staff bundle: the browser build with `--lib-features staff-bundle`, renamed to
#     pkg/marquee-staff.{js,wasm} (cargo-leptos names every build after the project);
#   - the server, the stylesheet and the visitor bundle, pkg/marquee.{js,wasm}.
# With --release: optimised bundles (wasm-release profile, wasm-opt -Oz), then each file under
# a content-hashed name with .br and .gz beside it, listed in pkg/assets.txt for the server
# (src/server/assets.rs). Without it the list is removed, so pages link the plain names that
# `cargo leptos watch` keeps rebuilding.
#
#   scripts/build.sh [--release] [--frontend-only]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
# cargo-leptos adds --cfg erase_components to debug builds itself; a second copy from the
# environment would change the flags and rebuild every dependency.
unset RUSTFLAGS

flags=()
release=""
for arg in "$@"; do
  case "$arg" in
    --release) release=yes; flags+=(--release) ;;
    --frontend-only) flags+=(--frontend-only) ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

pkg=target/site/pkg
mkdir -p "$pkg"
rm -f "$pkg/assets.txt"

# cargo-leptos empties pkg/ before each build: the staff bundle waits outside meanwhile.
staff=$(mktemp -d)
trap 'rm -rf "$staff"' EXIT
cargo leptos build ${release:+--release} --frontend-only --lib-features staff-bundle
mv -f "$pkg/marquee.js" "$staff/marquee-staff.js"
mv -f "$pkg/marquee.wasm" "$staff/marquee-staff.wasm"
cargo leptos build "${flags[@]}"
mv -f "$staff"/* "$pkg/"
rm -f "$pkg"/*.d.ts

[ -n "$release" ] || exit 0

# Content-hashed copies, precompressed, and the list the server reads. Files of earlier
# builds go: their names are no longer linked.
find "$pkg" -regextype posix-extended -regex '.*\.[0-9a-f]{16}\.(js|wasm|css)(\.br|\.gz)?' -delete
list=$(mktemp)
for file in marquee.css marquee.js marquee.wasm marquee-staff.js marquee-staff.wasm; do
  hash=$(sha256sum "$pkg/$file" | cut -c1-16)
  hashed="${file%.*}.$hash.${file##*.}"
  cp "$pkg/$file" "$pkg/$hashed"
  for name in "$file" "$hashed"; do
    brotli -q 11 -f -k "$pkg/$name"
    gzip -9 -f -k "$pkg/$name"
  done
  echo "$file $hashed" >>"$list"
done
mv "$list" "$pkg/assets.txt"
chmod 644 "$pkg/assets.txt"
echo "content-hashed and precompressed: $(wc -l <"$pkg/assets.txt") files (see $pkg/assets.txt)" >&2
