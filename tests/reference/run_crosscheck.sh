#!/usr/bin/env bash
# ctest entry for the reference cross-check: installs the pinned npm packages (package-lock.json)
# into WORKDIR once, then runs crosscheck.mjs there against the CLI.
# Usage: run_crosscheck.sh PATH_TO_WEBHOOKS_CLI WORKDIR
# Exit 77 (ctest: skipped) only when node is not installed.
set -euo pipefail
cli=$1 work=$2
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: node is not installed; the reference cross-check needs node >= 20 and npm"
    exit 77
fi
src=$(cd "$(dirname "$0")" && pwd)
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
    echo "note: node $(node --version) is older than the reference libraries declare (>= 20); trying anyway" >&2
fi
mkdir -p "$work"
# Reinstall when the lock file changed or the install is missing.
if [ ! -d "$work/node_modules" ] || ! cmp -s "$src/package-lock.json" "$work/package-lock.json"; then
    command -v npm >/dev/null 2>&1 || { echo "npm is not installed" >&2; exit 1; }
    cp "$src/package.json" "$src/package-lock.json" "$work/"
    rm -rf "$work/node_modules"
    (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
# ESM resolves packages next to the script, so run a copy that sits beside node_modules.
cp "$src/crosscheck.mjs" "$work/"
exec node "$work/crosscheck.mjs" "$cli"
