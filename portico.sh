#!/usr/bin/env bash
# Portico's task runner.
#   ./portico.sh run    install what is missing, build (release), serve on SQLite
#   ./portico.sh test   every test: Rust on SQLite (and PostgreSQL when TEST_POSTGRES_URL is
#                       set), then Playwright in Chromium against a fresh release server
#   ./portico.sh bench  every budget (SPEC P1-P5), S4 login timing and a soak, against a fresh
#                       release server on 127.0.0.1:3100 and in-process (P2/P3 also on PostgreSQL
#                       when TEST_POSTGRES_URL is set); ends with one table; not part of `test`
#   ./portico.sh bench-p1  P1 alone (every page's first load, moves, Lighthouse): minutes, not tens
set -euo pipefail
cd "$(dirname "$0")"

ADDR=${LEPTOS_SITE_ADDR:-127.0.0.1:3000}
# Incremental artifacts only cost disk in one-shot builds (CI, first run).
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
export LEPTOS_OUTPUT_NAME=portico LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_ENV=PROD

# `cargo` with the environment cargo-leptos gives its release server build (cargo-leptos 0.3.10,
# config/project.rs): Leptos reads these at compile time, so a `cargo bench` without them
# would rebuild Leptos and everything above it.
cargo_like_leptos() {
  LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend LEPTOS_BIN_DIR=server \
    LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=false cargo "$@"
}

say() { printf '\033[1;34m[portico]\033[0m %s\n' "$*"; }

# The WASM front end and the server side by side, the front end in a cargo-leptos run of its own:
# one run builds both one after the other when it precompresses (cargo-leptos 0.3.10,
# command/build.rs), and each leaves a core idle for minutes (the front end's LTO, wasm-opt, the
# app crate's type checking). They use separate target directories (target/front, target), so
# neither waits for the other. The server half is the function named by the first argument:
# cargo-leptos by default (`run`, `bench`), `server_and_tests` for `test`.
build() {
  local server_build=${1:-server_with_cargo_leptos}
  ./scripts/setup.sh
  say "building (release): the WASM front end and the server side by side"
  cargo leptos build --release --precompress --frontend-only &
  local front=$!
  local server_built=0
  "$server_build" || server_built=$?
  wait "$front" && return "$server_built"
}

server_with_cargo_leptos() {
  cargo leptos build --release --server-only
}

run() {
  build
  export PORTICO_DATA_DIR=${PORTICO_DATA_DIR:-data}
  # Passkeys need a domain, never an IP address: on this machine that is localhost.
  case "$ADDR" in 127.0.0.1:*) export PORTICO_PUBLIC_URL=${PORTICO_PUBLIC_URL:-http://localhost:${ADDR##*:}} ;; esac
  local url=${PORTICO_PUBLIC_URL:-http://$ADDR}
  local login_hint
  if [ -z "${DATABASE_URL:-}" ] && [ ! -f "$PORTICO_DATA_DIR/portico.db" ]; then
    say "first start: creating an account and its administrator"
    login_hint=$(target/release/server create-account --account-name "My company" \
      --first-name Admin --last-name User --email admin@example.com --login-name admin)
  else
    login_hint="Sign in with your login, or create one at $url/register."
  fi
  say "Portico runs at $url"
  printf '%s\n' "$login_hint"
  [ -n "${PORTICO_SMTP_URL:-}" ] || say "Mail (sign-up confirmations, invitations) is written to $PORTICO_DATA_DIR/mailbox/ as .eml files."
  say "More accounts: target/release/server create-account --help. Stop with Ctrl-C."
  LEPTOS_SITE_ADDR=$ADDR exec target/release/server serve
}

# Both packages in one build (app with `ssr`, as the server uses it); not the whole workspace,
# which would unify app's `ssr` and `hydrate` features. In the release profile, with the server
# build's environment and features (server/Cargo.toml), so tests and server share every artifact.
RUST_TESTS=(--release -p app -p server --features app/ssr)

# For `test`: one cargo run compiles the release server (the same binary cargo-leptos builds:
# integration tests make cargo build the package's binaries) and every test binary, so cargo
# schedules the tests' crates into the gaps of the server's build instead of after it.
server_and_tests() {
  cargo_like_leptos test --no-run "${RUST_TESTS[@]}"
}

rust_tests() {
  say "Rust tests (SQLite${TEST_POSTGRES_URL:+ and PostgreSQL})"
  cargo_like_leptos test "${RUST_TESTS[@]}"
}

end_to_end() {
  local data=target/e2e-data log=target/e2e-server.log
  rm -rf "$data" && mkdir -p "$data"
  # Something already listening there would be tested instead of this build: refuse.
  if (exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR##*:}") 2>/dev/null; then
    say "$ADDR is already in use; stop what listens there or set LEPTOS_SITE_ADDR"; return 1
  fi
  say "Playwright against a fresh release server on $ADDR"
  PORTICO_DATA_DIR=$data LEPTOS_SITE_ADDR=$ADDR PORTICO_LOGIN_MAX_FAILURES_PER_IP=1000 PORTICO_REGISTRATIONS_PER_IP=1000 \
    target/release/server serve >"$log" 2>&1 &
  local server=$!
  trap "kill $server 2>/dev/null || true" EXIT
  (cd end2end && PORTICO_DATA_DIR="../$data" BASE_URL="http://$ADDR" npx playwright test) || {
    say "Playwright failed; server log: $log"; tail -n 40 "$log"; return 1; }
}

BENCH_ADDR=${PORTICO_BENCH_ADDR:-127.0.0.1:3100}
BENCH_DIR=$PWD/target/bench            # results.tsv, p1.json, the server's log
BENCH_DATA=target/bench-server         # the bench server's SQLite database, fresh each run
BENCH_LOGIN=benchadmin
BENCH_FAILED=0

# Extra arguments: --soak-secs, --storm-secs, --storm-clients, --capacity-secs, --sign-ups and
# --timing-samples (each with a value) go to the load bench (server/benches/load.rs); the
# others to the users bench (server/benches/users.rs), e.g. `./portico.sh bench --users 100000`.
bench() {
  local load_args=() users_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --soak-secs|--storm-secs|--storm-clients|--capacity-secs|--timing-samples|--sign-ups) load_args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
      --soak-secs=*|--storm-secs=*|--storm-clients=*|--capacity-secs=*|--timing-samples=*|--sign-ups=*) load_args+=("$1"); shift ;;
      *) users_args+=("$1"); shift ;;
    esac
  done
  build
  say "building the bench programs"
  cargo_like_leptos bench -p server --no-run
  bench_begin
  bench_part "P4/P5/S4/soak load bench" bench_load "${load_args[@]}"
  bench_server_stop
  bench_part "users bench (SQLite)" bench_users sqlite "${users_args[@]}"
  if [ -n "${TEST_POSTGRES_URL:-}" ]; then
    bench_part "users bench (PostgreSQL)" bench_users postgres "${users_args[@]}"
  fi
  bench_end
}

# P1 alone (`./portico.sh bench-p1`): the quick loop for work on the bundle, without the bench
# programs' build and the minutes of seeding.
bench_p1() {
  build
  bench_begin
  bench_server_stop
  bench_end
}

# A fresh table and bench server, its administrator, and P1 (which needs nothing else).
bench_begin() {
  rm -rf "$BENCH_DIR" "$BENCH_DATA" && mkdir -p "$BENCH_DIR" "$BENCH_DATA"
  printf 'budget\tmeasured\tlimit\tpass/MISS\n' >"$BENCH_DIR/results.tsv"
  # The password the bench administrator chooses (read by the load bench and the P1 spec).
  export PORTICO_BENCH_PASSWORD="bench secret $(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  bench_server_start
  bench_part "bench account" bench_account
  bench_part "P1 first load" bench_first_load
}

bench_end() {
  say "results (also in ${BENCH_DIR#$PWD/}/results.tsv)"
  column -t -s $'\t' "$BENCH_DIR/results.tsv"
  [ "$BENCH_FAILED" = 0 ] || { say "a part of the benchmark failed (see above)"; return 1; }
}

# Runs one part; if it fails, the table says so and the other parts still run.
bench_part() {
  local name=$1; shift
  "$@" && return 0
  BENCH_FAILED=1
  printf '%s\tfailed (see the output above)\t-\tMISS\n' "$name" >>"$BENCH_DIR/results.tsv"
}

# A fresh release server on its own port and database; the throttle's limits are high so the
# timing samples, the storm and the sign-up flood are not refused (S4 itself is proven by
# tests/integration/brute_force.rs); sessions idle out after a minute and the sweeper runs every 5 s, so the
# soak shows the swept tables level off.
bench_server_start() {
  if (exec 3<>"/dev/tcp/${BENCH_ADDR%:*}/${BENCH_ADDR##*:}") 2>/dev/null; then
    say "$BENCH_ADDR is already in use; stop what listens there or set PORTICO_BENCH_ADDR"; return 1
  fi
  say "release server for the benchmark on $BENCH_ADDR (log: ${BENCH_DIR#$PWD/}/server.log)"
  env -u DATABASE_URL -u PORTICO_SMTP_URL PORTICO_DATA_DIR=$BENCH_DATA LEPTOS_SITE_ADDR=$BENCH_ADDR \
    PORTICO_LOGIN_MAX_FAILURES=1000000 PORTICO_LOGIN_MAX_FAILURES_PER_IP=1000000 PORTICO_REGISTRATIONS_PER_IP=1000000 \
    PORTICO_SESSION_IDLE_MINUTES=1 PORTICO_SWEEP_SECONDS=5 target/release/server serve >"$BENCH_DIR/server.log" 2>&1 &
  BENCH_SERVER=$!
  trap bench_server_stop EXIT
  local tries=0
  until curl -fsS "http://$BENCH_ADDR/readyz" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ $tries -gt 240 ] || ! kill -0 "$BENCH_SERVER" 2>/dev/null; then
      say "the bench server did not start:"; tail -n 20 "$BENCH_DIR/server.log"; return 1
    fi
    sleep 0.25
  done
  sleep 1
  local rss
  rss=$(awk '/^VmRSS:/ { printf "%.1f MB", $2 * 1024 / 1e6 }' "/proc/$BENCH_SERVER/status")
  say "server memory right after start-up: $rss"
  printf 'P5 server memory right after start-up (no request yet)\t%s\tsee the idle row\tinfo\n' "$rss" >>"$BENCH_DIR/results.tsv"
}

bench_server_stop() {
  [ -n "${BENCH_SERVER:-}" ] || return 0
  kill "$BENCH_SERVER" 2>/dev/null || true
  wait "$BENCH_SERVER" 2>/dev/null || true
  BENCH_SERVER=
}

# The administrator of a new account signs in with the printed temporary password and chooses
# the password the benchmark uses.
bench_account() {
  local out temp jar=$BENCH_DIR/cookies url=http://$BENCH_ADDR/api
  out=$(env -u DATABASE_URL PORTICO_DATA_DIR=$BENCH_DATA target/release/server create-account \
    --account-name "Bench company" --first-name Bench --last-name Admin \
    --email benchadmin@bench.example --login-name "$BENCH_LOGIN")
  temp=$(printf '%s\n' "$out" | sed -n 's/.* with the temporary password \([^ ]*\)$/\1/p')
  [ -n "$temp" ] || { say "create-account printed no temporary password: $out"; return 1; }
  curl -fsS -c "$jar" -b "$jar" --data-urlencode "identifier=$BENCH_LOGIN" --data-urlencode "password=$temp" \
    "$url/auth/login" >/dev/null
  curl -fsS -c "$jar" -b "$jar" --data-urlencode "current_password=$temp" \
    --data-urlencode "new_password=$PORTICO_BENCH_PASSWORD" "$url/auth/change_password" >/dev/null
}

# P1 in Chromium: end2end/bench/first-load.spec.ts, outside the normal Playwright suite.
bench_first_load() {
  say "P1: first load of the users page in Chromium (cold cache)"
  (cd end2end && BASE_URL="http://$BENCH_ADDR" BENCH_LOGIN=$BENCH_LOGIN BENCH_PASSWORD=$PORTICO_BENCH_PASSWORD \
    BENCH_RESULTS="$BENCH_DIR/results.tsv" npx playwright test --config bench/playwright.config.ts)
}

bench_load() {
  say "P4 login storm, P5 idle memory, S4 login timing and soak over HTTP (server pid $BENCH_SERVER)"
  cargo_like_leptos bench -p server --bench load -- --url "http://$BENCH_ADDR" --pid "$BENCH_SERVER" \
    --login "$BENCH_LOGIN" --results "$BENCH_DIR/results.tsv" --database "sqlite://$PWD/$BENCH_DATA/portico.db?mode=ro" "$@"
}

bench_users() {
  local backend=$1; shift
  say "users benchmark (SPEC P2, P3, P5 session check) on $backend"
  cargo_like_leptos bench -p server --bench users -- --backend "$backend" --results "$BENCH_DIR/results.tsv" "$@"
}

case "${1:-}" in
  run) run ;;
  test) build server_and_tests; rust_tests; end_to_end; say "all tests passed" ;;
  bench) shift; bench "$@" ;;
  bench-p1) bench_p1 ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
