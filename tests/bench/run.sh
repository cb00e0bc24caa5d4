#!/usr/bin/env bash
# Runs every benchmark program of a build; each prints JSON lines (DESIGN.md format). Three nginx
# sinks on 127.0.0.1 are started for the delivery benchmarks (plain HTTP; HTTPS with HTTP/1.1
# and HTTP/2; plain HTTP answering after 200 ms) and stopped on the way out. bench_postgres
# starts its own throw-away PostgreSQL server (tests/support/pg_server.h) and skips without one.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
sink=$here/../support/nginx_sink.sh
plain=$(mktemp -d) tls=$(mktemp -d) slow=$(mktemp -d)
trap '"$sink" stop "$plain/s"; "$sink" stop "$tls/s"; "$sink" stop "$slow/s"; rmdir "$plain" "$tls" "$slow" 2>/dev/null || true' EXIT
WH_BENCH_SINK_URL=$("$sink" start "$plain/s")
WH_BENCH_SLOW_URL=$("$sink" start-slow "$slow/s" 200)
read -r WH_BENCH_TLS_H1_URL WH_BENCH_TLS_H2_URL <<<"$("$sink" start-tls "$tls/s")"
export WH_BENCH_SINK_URL WH_BENCH_SLOW_URL WH_BENCH_TLS_H1_URL WH_BENCH_TLS_H2_URL WH_BENCH_TLS_CA=$tls/s/ca.pem
for bin in "$build"/tests/bench/bench_*; do
    [ -x "$bin" ] || continue
    "$bin"
done
