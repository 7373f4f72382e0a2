#!/usr/bin/env bash
# Installs whatever Portico's build and tests need and is missing. Idempotent: every step checks
# first, so a second run takes seconds. Only the package registries are needed (crates.io, npm,
# Debian); nothing is downloaded from elsewhere (see README "Toolchain").
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock 2>/dev/null || true)
WASM_BINDGEN_VERSION=${WASM_BINDGEN_VERSION:-0.2.130}

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_missing=()
command -v chromium >/dev/null || apt_missing+=(chromium)
command -v node >/dev/null || apt_missing+=(nodejs)
command -v npm >/dev/null || apt_missing+=(npm)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${apt_missing[*]}"
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${apt_missing[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes, once)"
  # 0.3.10 is the newest whose lockfile builds on stable 1.95; LTO off halves the install time.
  CARGO_PROFILE_RELEASE_LTO=false cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (must equal the crate in Cargo.lock)"
  # Not --locked: its lockfile pins a crate version the registry here does not serve.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# Root: tailwindcss and binaryen's wasm-opt, which cargo-leptos finds in node_modules/.bin.
# `npm install`, not `npm ci`: the registry lacks tailwind's non-Linux optional packages.
if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -x node_modules/.bin/wasm-opt ]; then
  say "installing npm build tools"
  npm install --no-audit --no-fund
fi
# Again whenever the lock file changed since the last install (npm keeps a copy in node_modules).
if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing Playwright and axe-core"
  (cd end2end && npm ci --no-audit --no-fund)
fi
