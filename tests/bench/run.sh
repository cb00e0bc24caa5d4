#!/usr/bin/env bash
# Runs every benchmark program of a build; each prints JSON lines (DESIGN.md format). Two nginx
# sinks on 127.0.0.1 are started for the delivery benchmarks (plain HTTP, and HTTPS with
# HTTP/1.1 and HTTP/2) and stopped on the way out.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
sink=$here/../support/nginx_sink.sh
plain=$(mktemp -d) tls=$(mktemp -d)
trap '"$sink" stop "$plain/s"; "$sink" stop "$tls/s"; rmdir "$plain" "$tls" 2>/dev/null || true' EXIT
WH_BENCH_SINK_URL=$("$sink" start "$plain/s")
read -r WH_BENCH_TLS_H1_URL WH_BENCH_TLS_H2_URL <<<"$("$sink" start-tls "$tls/s")"
export WH_BENCH_SINK_URL WH_BENCH_TLS_H1_URL WH_BENCH_TLS_H2_URL WH_BENCH_TLS_CA=$tls/s/ca.pem
for bin in "$build"/tests/bench/bench_*; do
    [ -x "$bin" ] || continue
    "$bin"
done
