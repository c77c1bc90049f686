#!/usr/bin/env bash
# A throwaway PostgreSQL server for qualkit's tests and benchmarks (Debian).
#
#   scripts/test-postgres.sh run CMD...   start a server, run CMD with QUALKIT_TEST_POSTGRES set,
#                                         stop the server (and delete its data) whatever happens
#   eval "$(scripts/test-postgres.sh start)"   start one and export its URL (QUALKIT_PG_DIR too)
#   scripts/test-postgres.sh stop              stop the one started above and delete its data
#
# Or `source` it and call qk_pg_start / qk_pg_stop (what .ci/run does). Installs the Debian
# package `postgresql` when no server binaries are found. The server listens on 127.0.0.1 only
# (port QUALKIT_PG_PORT, default 55432, or the next free one), trusts local connections, and
# keeps its data in a temporary folder with durability off: it is for tests, never for a study.

qk_pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] && command -v apt-get >/dev/null; then
    echo "installing postgresql (apt)" >&2
    apt-get update -qq >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  [ -n "$bin" ] || { echo "no PostgreSQL server binaries (install postgresql)" >&2; return 1; }
  echo "$bin"
}

# Run a server command as the `postgres` user when we are root (PostgreSQL refuses root).
qk_pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

qk_pg_start() {
  local bin port dir rc
  bin=$(qk_pg_bin) || return 1
  port=${QUALKIT_PG_PORT:-55432}
  # pg_isready exits 2 when nothing answers on the port: take the first such port.
  for _ in $(seq 20); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 && rc=0 || rc=$?
    [ "$rc" -eq 2 ] && break
    port=$((port + 1))
  done
  dir=$(mktemp -d /tmp/qualkit-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  qk_pg_as "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  # Durability off: a crash loses a throwaway test database, never a study.
  qk_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  for _ in $(seq 50); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
  done
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE qualkit_test" ||
    return 1
  export QUALKIT_PG_DIR="$dir" QUALKIT_PG_BIN="$bin"
  export QUALKIT_TEST_POSTGRES="postgresql+psycopg://postgres@127.0.0.1:$port/qualkit_test"
  echo "PostgreSQL for tests: $QUALKIT_TEST_POSTGRES" >&2
}

qk_pg_stop() {
  local dir=${QUALKIT_PG_DIR:-} bin=${QUALKIT_PG_BIN:-}
  [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
  qk_pg_as "${bin:-$(qk_pg_bin)}/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  unset QUALKIT_PG_DIR QUALKIT_TEST_POSTGRES
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    start)
      qk_pg_start
      echo "export QUALKIT_PG_DIR=$QUALKIT_PG_DIR QUALKIT_PG_BIN=$QUALKIT_PG_BIN" \
        "QUALKIT_TEST_POSTGRES=$QUALKIT_TEST_POSTGRES"
      ;;
    stop) qk_pg_stop ;;
    run)
      shift
      [ $# -gt 0 ] || { echo "usage: $0 run CMD..." >&2; exit 2; }
      trap qk_pg_stop EXIT
      qk_pg_start
      "$@"
      ;;
    *)
      echo "usage: $0 start | stop | run CMD..." >&2
      exit 2
      ;;
  esac
fi
