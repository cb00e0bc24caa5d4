#!/usr/bin/env bash
# `make demo`'s script, run as the Quick start runs it: every step passes, and it shows the
# commands a user can repeat (the curl lines and the webhooks command lines).
set -uo pipefail
root=$1 build=$2
out=$(bash "$root/examples/demo.sh" "$build" 2>&1)
status=$?
echo "$out"
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
check "the demo passes" "$status" 0
check "it shows the curl lines" "$(echo "$out" | grep -c '\$ curl -X POST .*Authorization: Bearer demo-key')" 4
check "it shows how serve was started" "$(echo "$out" | grep -c '\$ webhooks serve --listen')" 1
check "it shows how listen was started" "$(echo "$out" | grep -c '\$ webhooks listen --listen')" 1
[ "$fails" -eq 0 ]
