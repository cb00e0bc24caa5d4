#!/usr/bin/env bash
# The C, C++ and header files of the project follow .clang-format (`make format` fixes them).
set -uo pipefail
src=$1
cd "$src" || exit 1
files=$(find include lib examples tests -path '*/node_modules' -prune -o \
        \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) -print | sort)
if ! command -v clang-format >/dev/null 2>&1; then
    echo "clang-format is not installed (make deps installs it)"; exit 1
fi
bad=$(for f in $files; do clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -n "$bad" ]; then
    echo "not formatted (run make format):"; echo "$bad"; exit 1
fi
echo "$(echo "$files" | wc -l) files follow .clang-format"
