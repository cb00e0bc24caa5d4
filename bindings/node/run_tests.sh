#!/usr/bin/env bash
# ctest entry for the Node package (bindings.node): build the package as a user gets it
# (`npm pack`), install that tarball into a fresh project, and run its node:test suite from
# there against LIBRARY; check the TypeScript declarations with tsc --strict against the
# installed package. The pinned npm packages (package-lock.json: koffi, typescript,
# @types/node) are installed once into WORKDIR/deps.
#
#   run_tests.sh LIBRARY WORKDIR         install if needed, then test (ctest)
#   run_tests.sh --install-only WORKDIR  only install, so that later runs need no network
#
# Environment: WH_PRELOAD, a sanitizer runtime to preload into node only (ASan builds).
# Exit 77 (ctest: skipped) only when node or npm is not installed.
set -euo pipefail
install_only=0
if [ "${1:-}" = "--install-only" ]; then install_only=1; shift; fi
if [ "$install_only" = 1 ]; then work=$1; else lib=$1 work=$2; fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: node and npm are needed (make deps installs them)"
    exit 77
fi
src=$(cd "$(dirname "$0")" && pwd)
npm_quiet=(--ignore-scripts --no-audit --no-fund --loglevel=error)
# The pinned dependencies, reinstalled when the lock file changed. Install scripts are not run:
# koffi 3 ships its native module in a per-platform optional dependency.
deps=$work/deps
mkdir -p "$deps"
if [ ! -d "$deps/node_modules/koffi" ] || ! cmp -s "$src/package-lock.json" "$deps/package-lock.json"; then
    cp "$src/package.json" "$src/package-lock.json" "$deps/"
    rm -rf "$deps/node_modules"
    (cd "$deps" && npm ci "${npm_quiet[@]}")
fi
[ "$install_only" = 1 ] && exit 0

# The package as `npm pack` makes it, installed from its tarball into a new project: koffi comes
# from the npm cache the install above filled (--offline), at the version the package pins.
rm -rf "$work/pack" "$work/consumer"
mkdir -p "$work/pack" "$work/consumer/test"
(cd "$src" && npm pack --pack-destination "$work/pack" --loglevel=error >/dev/null)
tarball=$(ls "$work"/pack/libwebhooks-*.tgz)
cat >"$work/consumer/package.json" <<JSON
{ "name": "libwebhooks-consumer", "private": true, "type": "module" }
JSON
(cd "$work/consumer" && npm install --offline "${npm_quiet[@]}" "$tarball")
test -f "$work/consumer/node_modules/libwebhooks/webhooks.d.ts"

# The declarations, against the installed package.
cp "$src/test/types-check.ts" "$work/consumer/"
ln -sfn "$deps/node_modules/@types" "$work/consumer/node_modules/@types"
(cd "$work/consumer" && "$deps/node_modules/.bin/tsc" --noEmit --strict --target es2022 \
    --module nodenext --moduleResolution nodenext --types node types-check.ts)
echo "ok: the TypeScript declarations check (tsc --strict)"

cp "$src"/test/*.test.mjs "$work/consumer/test/"
# The README's example, run by a test from the consumer project, where it finds the package.
cp "$src/../../examples/embed.mjs" "$work/consumer/embed.mjs"
cd "$work/consumer"
export WEBHOOKS_LIB=$lib WH_EXAMPLE=$work/consumer/embed.mjs
if [ -n "${WH_PRELOAD:-}" ]; then
    # node is not instrumented: load the ASan runtime first; its own heap at exit is not ours.
    export LD_PRELOAD=$WH_PRELOAD ASAN_OPTIONS=detect_leaks=0
fi
exec node --test test/*.test.mjs
