#!/usr/bin/env bash
# Runs every libFuzzer target of a WH_FUZZ build for the given number of seconds, starting from
# a scratch copy of its seed corpus (new finds land in fuzz-out/<target>/, crashes stop the run).
set -euo pipefail
build=$1 seconds=${2:-60}
src=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-fuzz-out}
for bin in "$build"/tests/fuzz/fuzz_*; do
    name=$(basename "$bin"); short=${name#fuzz_}
    mkdir -p "$out/$short"
    cp -n "$src/corpus/$short"/* "$out/$short/" 2>/dev/null || true
    echo "=== $name for ${seconds}s"
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/$short-" "$out/$short"
done
