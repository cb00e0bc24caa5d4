#!/usr/bin/env bash
# ctest entry for the Node binding (bindings.node): installs the pinned npm packages
# (package-lock.json) into WORKDIR once, copies the binding and its tests beside them, and runs
# the tests with node:test against LIBRARY. The same scheme as tests/reference/run_crosscheck.sh.
#
#   run_tests.sh LIBRARY WORKDIR         install if needed, then test (ctest)
#   run_tests.sh --install-only WORKDIR  only install (make deps: $(BUILD)/bindings/node/work),
#                                        so that make test needs no network afterwards
#
# Environment: WH_PRELOAD, a sanitizer runtime to preload into node only (ASan builds).
# Exit 77 (ctest: skipped) only when node or npm is not installed.
set -euo pipefail
install_only=0
if [ "${1:-}" = "--install-only" ]; then install_only=1; shift; fi
if [ "$install_only" = 1 ]; then work=$1; else lib=$1 work=$2; fi
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: node is not installed; the Node binding's tests need node >= 18 and npm"
    exit 77
fi
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/test"
# Reinstall when the lock file changed or the install is missing. Install scripts are not run:
# koffi 3 ships its native module in a per-platform optional dependency.
if [ ! -d "$work/node_modules/koffi" ] || ! cmp -s "$src/package-lock.json" "$work/package-lock.json"; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "SKIP: npm is not installed; it is needed once to install koffi from package-lock.json"
        exit 77
    fi
    cp "$src/package.json" "$src/package-lock.json" "$work/"
    rm -rf "$work/node_modules"
    (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
[ "$install_only" = 1 ] && exit 0
# ESM resolves packages next to the importing file, so run copies that sit beside node_modules.
cp "$src/webhooks.mjs" "$work/"
cp "$src"/test/*.test.mjs "$work/test/"
cd "$work"
export WEBHOOKS_LIB=$lib
if [ -n "${WH_PRELOAD:-}" ]; then
    # node is not instrumented: load the ASan runtime first; its own heap at exit is not ours.
    export LD_PRELOAD=$WH_PRELOAD ASAN_OPTIONS=detect_leaks=0
fi
exec node --test test/*.test.mjs
