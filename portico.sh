#!/usr/bin/env bash
# Portico's task runner.
#   ./portico.sh run    install what is missing, build (release), serve on SQLite
#   ./portico.sh test   every test: Rust on SQLite (and PostgreSQL when TEST_POSTGRES_URL is
#                       set), then Playwright in Chromium against a fresh release server
#   ./portico.sh bench  users list and bulk-action timings (SPEC P2/P3) on SQLite, and on
#                       PostgreSQL when TEST_POSTGRES_URL is set; not part of `test`
set -euo pipefail
cd "$(dirname "$0")"

ADDR=${LEPTOS_SITE_ADDR:-127.0.0.1:3000}
# Incremental artifacts only cost disk in one-shot builds (CI, first run).
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
export LEPTOS_OUTPUT_NAME=portico LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_ENV=PROD

say() { printf '\033[1;34m[portico]\033[0m %s\n' "$*"; }

build() {
  ./scripts/setup.sh
  say "building (release)"
  cargo leptos build --release
}

run() {
  build
  export PORTICO_DATA_DIR=${PORTICO_DATA_DIR:-data}
  local login_hint
  if [ -z "${DATABASE_URL:-}" ] && [ ! -f "$PORTICO_DATA_DIR/portico.db" ]; then
    say "first start: creating an account and its administrator"
    login_hint=$(target/release/server create-account --account-name "My company" \
      --first-name Admin --last-name User --email admin@example.com --login-name admin)
  else
    login_hint="Sign in with your login, or create one at http://$ADDR/register."
  fi
  say "Portico runs at http://$ADDR"
  printf '%s\n' "$login_hint"
  [ -n "${PORTICO_SMTP_URL:-}" ] || say "Mail (sign-up confirmations, invitations) is written to $PORTICO_DATA_DIR/mailbox/ as .eml files."
  say "More accounts: target/release/server create-account --help. Stop with Ctrl-C."
  LEPTOS_SITE_ADDR=$ADDR exec target/release/server serve
}

rust_tests() {
  say "Rust tests (SQLite${TEST_POSTGRES_URL:+ and PostgreSQL})"
  # Per package: a workspace-wide build would unify app's `ssr` and `hydrate` features.
  cargo test -p app --features ssr
  cargo test -p server
}

end_to_end() {
  local data=target/e2e-data log=target/e2e-server.log
  rm -rf "$data" && mkdir -p "$data"
  # Something already listening there would be tested instead of this build: refuse.
  if (exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR##*:}") 2>/dev/null; then
    say "$ADDR is already in use; stop what listens there or set LEPTOS_SITE_ADDR"; return 1
  fi
  say "Playwright against a fresh release server on $ADDR"
  PORTICO_DATA_DIR=$data LEPTOS_SITE_ADDR=$ADDR PORTICO_LOGIN_MAX_FAILURES_PER_IP=1000 \
    target/release/server serve >"$log" 2>&1 &
  local server=$!
  trap "kill $server 2>/dev/null || true" EXIT
  (cd end2end && PORTICO_DATA_DIR="../$data" BASE_URL="http://$ADDR" npx playwright test) || {
    say "Playwright failed; server log: $log"; tail -n 40 "$log"; return 1; }
}

# Extra arguments go to the bench program, e.g. `./portico.sh bench --users 100000`.
bench() {
  say "users benchmark (SPEC P2, P3) on SQLite"
  cargo bench -p server --bench users -- --backend sqlite "$@"
  if [ -n "${TEST_POSTGRES_URL:-}" ]; then
    say "users benchmark on PostgreSQL"
    cargo bench -p server --bench users -- --backend postgres "$@"
  fi
}

case "${1:-}" in
  run) run ;;
  test) build; rust_tests; end_to_end; say "all tests passed" ;;
  bench) shift; bench "$@" ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
