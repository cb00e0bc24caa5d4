#!/usr/bin/env bash
# ctest entry for the Python package (bindings.python): install it as a user would, with pip
# from this folder into a fresh virtual environment (Debian's python3 and setuptools, no package
# index: --no-build-isolation --no-index), then run its unittest suite from that installed
# package, in a working directory outside the source tree, against LIBRARY.
#
#   run_tests.sh LIBRARY WORKDIR
#
# Environment: WH_PRELOAD, a sanitizer runtime to preload into python only (ASan builds).
# Exit 77 (ctest: skipped) only when no python3 with venv and setuptools is installed.
set -euo pipefail
lib=$1 work=$2
src=$(cd "$(dirname "$0")" && pwd)
# Debian's interpreter, whose setuptools make deps installs (python3-setuptools, python3-venv);
# another python3 first on the PATH (pyenv) would not see them.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || true)
if [ -z "$py" ] || ! "$py" -c "import setuptools, venv, ensurepip" 2>/dev/null; then
    echo "SKIP: python3 with setuptools and venv is needed (make deps installs them)"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work"
"$py" -m venv --system-site-packages "$work/venv"
# pip builds in the folder it is given: build from a copy so the source tree stays clean.
mkdir -p "$work/src"
cp -r "$src/pyproject.toml" "$src/README.md" "$src/webhooks" "$work/src/"
"$work/venv/bin/python" -m pip install --quiet --no-build-isolation --no-index --no-deps \
    --disable-pip-version-check "$work/src" >"$work/pip.log" 2>&1 || { cat "$work/pip.log"; exit 1; }
cp -r "$src/tests" "$work/tests"
cp "$src/../../examples/embed.py" "$work/embed.py"
cd "$work"
export WEBHOOKS_LIB=$lib WH_EXPECT_INSTALLED=1 WH_EXAMPLE=$work/embed.py PYTHONDONTWRITEBYTECODE=1
if [ -n "${WH_PRELOAD:-}" ]; then
    # python is not instrumented: load the ASan runtime first; its own heap at exit is not ours.
    export LD_PRELOAD=$WH_PRELOAD ASAN_OPTIONS=detect_leaks=0
fi
exec "$work/venv/bin/python" -m unittest discover -v -s tests
