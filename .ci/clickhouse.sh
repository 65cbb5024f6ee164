#!/usr/bin/env bash
# A throwaway ClickHouse server for the tests: installs Debian's clickhouse-server
# (18.16) when missing, writes its own config into a temp dir (data paths there,
# loopback only, free ports for HTTP, native and interserver, time zone UTC; nothing
# read from /etc/clickhouse-server), starts it and waits until `SELECT 1` answers
# over HTTP, then exports KOHORT_TEST_CLICKHOUSE_URL. As root the server runs as
# the `clickhouse` user (the temp dir is chowned to it), as postgres.sh does.
#
#   source .ci/clickhouse.sh && kohort_ch_start   # exports the URL; kohort_ch_stop at the end
#   .ci/clickhouse.sh npx vitest run src/storage/clickhouse   # runs a command with a server, then stops it
#
# The server and its data are deleted when it stops. KOHORT_CH_LOG_LEVEL (default
# warning) sets its log level: `debug` logs every statement before it runs, which
# names the statement of a crash (log/server.log, its query id's last executeQuery).

kohort_ch_bin() {
  local b
  for b in /usr/sbin/clickhouse-server /usr/bin/clickhouse-server /usr/bin/clickhouse; do
    [ -x "$b" ] && { echo "$b"; return 0; }
  done
  return 1
}

kohort_ch_free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

kohort_ch_start() {
  local bin
  bin=$(kohort_ch_bin)
  if [ -z "$bin" ]; then
    echo "installing clickhouse-server..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server >/dev/null) || {
      echo "could not install clickhouse-server" >&2; return 1; }
    bin=$(kohort_ch_bin) || { echo "clickhouse-server installed but its binary was not found" >&2; return 1; }
  fi
  KOHORT_CH_DIR=$(mktemp -d /tmp/kohort-ch.XXXXXX)
  local http tcp inter
  http=$(kohort_ch_free_port) && tcp=$(kohort_ch_free_port) && inter=$(kohort_ch_free_port) || return 1
  mkdir -p "$KOHORT_CH_DIR/data" "$KOHORT_CH_DIR/tmp" "$KOHORT_CH_DIR/user_files" "$KOHORT_CH_DIR/format_schemas" "$KOHORT_CH_DIR/log"
  cat >"$KOHORT_CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>${KOHORT_CH_LOG_LEVEL:-warning}</level><log>$KOHORT_CH_DIR/log/server.log</log><errorlog>$KOHORT_CH_DIR/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <interserver_http_port>$inter</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>$KOHORT_CH_DIR/data/</path>
  <tmp_path>$KOHORT_CH_DIR/tmp/</tmp_path>
  <user_files_path>$KOHORT_CH_DIR/user_files/</user_files_path>
  <format_schema_path>$KOHORT_CH_DIR/format_schemas/</format_schema_path>
  <users_config>$KOHORT_CH_DIR/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
</yandex>
EOF
  cat >"$KOHORT_CH_DIR/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id clickhouse >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin clickhouse
    chown -R clickhouse: "$KOHORT_CH_DIR"
        as=(setpriv --reuid=clickhouse --regid=clickhouse --init-groups --)
  fi
  # A supervisor loop: Debian's 18.16 segfaulted during the long property runs (found and
  # avoided, docs/ARCHITECTURE.md, ClickHouse; kept as a safety net). A server that dies is started again on the same
  # data (its parts are on disk) and counted in log/restarts.log; the tests' client waits for it
  # and retries the statement once. TERM to this loop ends it.
  (
    cd "$KOHORT_CH_DIR" || exit 1
    child=
    restarts=0
    trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
    while :; do
      "${as[@]}" "$bin" --config-file="$KOHORT_CH_DIR/config.xml" >>"$KOHORT_CH_DIR/log/stdout.log" 2>&1 &
      child=$!
      wait "$child"
      st=$?
      # Only a TERM to this loop stops the server on purpose; any other end is a crash (at most 20 restarts).
      restarts=$((restarts + 1))
      [ "$restarts" -le 20 ] || exit "$st"
      echo "$(date -u +%FT%TZ) clickhouse-server ended with status $st; restarted" >>"$KOHORT_CH_DIR/log/restarts.log"
      sleep 0.5
    done
  ) &
  KOHORT_CH_PID=$!
  local url="http://127.0.0.1:$http"
  local i
  for i in $(seq 1 600); do
    if [ "$(curl -s --max-time 2 "$url/?query=SELECT%201" 2>/dev/null)" = "1" ]; then
      export KOHORT_CH_DIR KOHORT_CH_PID
      export KOHORT_TEST_CLICKHOUSE_URL="$url"
      echo "clickhouse for tests at $KOHORT_TEST_CLICKHOUSE_URL"
      return 0
    fi
    if ! kill -0 "$KOHORT_CH_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "clickhouse-server did not start:" >&2
  cat "$KOHORT_CH_DIR/log/stdout.log" "$KOHORT_CH_DIR/log/error.log" >&2 2>/dev/null
  kohort_ch_stop
  return 1
}

kohort_ch_stop() {
  if [ -n "${KOHORT_CH_PID:-}" ]; then
    kill -TERM "$KOHORT_CH_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$KOHORT_CH_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$KOHORT_CH_PID" 2>/dev/null
    wait "$KOHORT_CH_PID" 2>/dev/null
  fi
  if [ -s "${KOHORT_CH_DIR:-}/log/restarts.log" ]; then
    echo "clickhouse-server crashed and was restarted $(wc -l <"$KOHORT_CH_DIR/log/restarts.log") time(s) during the run:" >&2
    cat "$KOHORT_CH_DIR/log/restarts.log" >&2
  fi
  if [ -n "${KOHORT_CH_DIR:-}" ] && [ -d "$KOHORT_CH_DIR" ]; then rm -rf "$KOHORT_CH_DIR"; fi
  unset KOHORT_CH_DIR KOHORT_CH_PID KOHORT_TEST_CLICKHOUSE_URL
}

# Run directly: start, run the command, stop, exit with the command's status.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  kohort_ch_start || exit 1
  trap kohort_ch_stop EXIT
  "$@"
  exit $?
fi
