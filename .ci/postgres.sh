#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: installs Debian's postgresql when
# missing, initdb into a temp dir, starts it on a free loopback port and exports
# KOHORT_TEST_DATABASE_URL. PostgreSQL refuses to run as root, so as root the
# cluster belongs to the `postgres` user (the temp dir is chowned to it).
#
#   source .ci/postgres.sh && kohort_pg_start   # exports the URL; kohort_pg_stop at the end
#   .ci/postgres.sh npx vitest run src/storage   # runs a command with a cluster, then stops it
#
# Tuned for tests only (fsync off): the cluster is deleted when it stops.

kohort_pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

kohort_pg_start() {
  local bin
  bin=$(kohort_pg_bindir)
  if [ -z "$bin" ]; then
    echo "installing postgresql..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || {
      echo "could not install postgresql" >&2; return 1; }
    bin=$(kohort_pg_bindir)
    [ -n "$bin" ] || { echo "postgresql installed but initdb not found" >&2; return 1; }
  fi
  KOHORT_PG_DIR=$(mktemp -d /tmp/kohort-pg.XXXXXX)
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$KOHORT_PG_DIR"
    as=(runuser -u postgres --)
  fi
  KOHORT_PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$KOHORT_PG_DIR/data" -m immediate stop)
  local port
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})") || return 1
  "${as[@]}" "$bin/initdb" -D "$KOHORT_PG_DIR/data" -U kohort -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$KOHORT_PG_DIR/initdb.log" 2>&1 || {
    echo "initdb failed:" >&2; cat "$KOHORT_PG_DIR/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$KOHORT_PG_DIR/data" -l "$KOHORT_PG_DIR/server.log" -w -t 60 start \
    -o "-p $port -k $KOHORT_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null || {
    echo "postgres did not start:" >&2; cat "$KOHORT_PG_DIR/server.log" >&2; return 1; }
  export KOHORT_PG_DIR
  export KOHORT_TEST_DATABASE_URL="postgres://kohort@127.0.0.1:$port/postgres"
  echo "postgresql for tests at $KOHORT_TEST_DATABASE_URL"
}

kohort_pg_stop() {
  if [ -n "${KOHORT_PG_DIR:-}" ] && [ -d "$KOHORT_PG_DIR" ]; then
    "${KOHORT_PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$KOHORT_PG_DIR"
  fi
  unset KOHORT_PG_DIR KOHORT_TEST_DATABASE_URL
}

# Run directly: start, run the command, stop, exit with the command's status.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  kohort_pg_start || exit 1
  trap kohort_pg_stop EXIT
  "$@"
  exit $?
fi
