#!/usr/bin/env bash
# `make demo`: runs the examples end to end against the freshly built library and explains each.
set -euo pipefail
build=${1:-build}
step() { printf '\n==> %s\n' "$*"; }

step "Registering webhooks: validation, generated ids and secrets, JSON in and out"
"$build/examples/example_subscriptions"

echo
echo "demo: every step did what it said"
