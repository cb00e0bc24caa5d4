#!/usr/bin/env bash
# Runs every benchmark program of a build; each prints JSON lines (DESIGN.md format).
set -euo pipefail
build=$1
for bin in "$build"/tests/bench/bench_*; do
    [ -x "$bin" ] || continue
    "$bin"
done
