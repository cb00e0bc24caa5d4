#!/usr/bin/env bash
# The shared library exports wh_* symbols and nothing else.
set -euo pipefail
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u)
bad=$(echo "$syms" | grep -v '^wh_' || true)
count=$(echo "$syms" | grep -c '^wh_' || true)
if [ -n "$bad" ]; then
    echo "exported symbols outside wh_*:"; echo "$bad"; exit 1
fi
[ "$count" -gt 0 ] || { echo "no wh_* symbols exported"; exit 1; }
echo "$count exported symbols, all wh_*"
