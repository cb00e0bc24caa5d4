#!/usr/bin/env bash
# Install the built library into a scratch prefix, then build and run a tiny consumer against
# the installed package both ways: find_package(webhooks) and pkg-config (shared and static).
set -euo pipefail
build=$1 consumer=$2 cc=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
test -f "$prefix/include/webhooks.h"
test -f "$prefix/share/man/man1/webhooks.1" && test -f "$prefix/share/man/man1/webhooks-serve.1"
test -x "$prefix/bin/webhooks"
test -f "$prefix/lib/pkgconfig/webhooks.pc" || test -f "$prefix/lib/x86_64-linux-gnu/pkgconfig/webhooks.pc"
libdir=$(dirname "$(find "$prefix" -name 'libwebhooks.so' | head -n1)")

echo "== CMake consumer (find_package(webhooks), webhooks::webhooks)"
cmake -S "$consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH=$libdir "$work/cmake-build/consumer"
"$work/cmake-build/consumer_static"
echo "== the store conformance kit (webhooks::conformance) against the memory store"
LD_LIBRARY_PATH=$libdir "$work/cmake-build/store_test" >"$work/kit.log" 2>&1 || { cat "$work/kit.log"; exit 1; }
grep -E '\[  PASSED  \] [0-9]+ test' "$work/kit.log"
test -f "$prefix/include/webhooks/conformance.h"

echo "== pkg-config consumer"
export PKG_CONFIG_PATH=$libdir/pkgconfig
"$cc" -std=c11 -Wall -Werror -o "$work/pc-shared" "$consumer/consumer.c" $(pkg-config --cflags --libs webhooks)
LD_LIBRARY_PATH=$libdir "$work/pc-shared"
"$cc" -std=c11 -Wall -Werror -o "$work/pc-static" "$consumer/consumer.c" -DWH_STATIC \
    $(pkg-config --cflags webhooks) "$libdir/libwebhooks.a" $(pkg-config --libs --static webhooks | sed 's/-lwebhooks//')
"$work/pc-static"
echo "installed package works with CMake and pkg-config"
