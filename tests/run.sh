#!/usr/bin/env bash
# Runs every test of each given build directory through ctest, then prints one summary line.
set -uo pipefail
total_pass=0 total_fail=0 status=0
for dir in "$@"; do
    echo "=== ctest in $dir"
    log=$(mktemp)
    (cd "$dir" && ctest --output-on-failure -j "${JOBS:-2}" --timeout 600) 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n1)
    rm -f "$log"
    if [ -z "$line" ]; then echo "no ctest summary for $dir"; status=1; continue; fi
    failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
    all=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/')
    total_pass=$((total_pass + all - failed)); total_fail=$((total_fail + failed))
    [ "$rc" -eq 0 ] || status=1
done
echo
echo "tests: $total_pass passed, $total_fail failed"
exit $status
