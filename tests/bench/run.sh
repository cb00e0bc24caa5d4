#!/usr/bin/env bash
# Runs every benchmark program of a build; each prints JSON lines (DESIGN.md format). An nginx
# sink on 127.0.0.1 is started for the delivery benchmarks and stopped on the way out.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
sinkdir=$(mktemp -d)
trap '"$here/sink.sh" stop "$sinkdir"' EXIT
WH_BENCH_SINK_URL=$("$here/sink.sh" start "$sinkdir")
export WH_BENCH_SINK_URL
for bin in "$build"/tests/bench/bench_*; do
    [ -x "$bin" ] || continue
    "$bin"
done
