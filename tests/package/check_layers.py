#!/usr/bin/env python3
"""The layer rule of docs/architecture.md, checked on what the build made and on the sources.

    check_layers.py LAYER_OBJECTS_FILE LIB_DIR

LAYER_OBJECTS_FILE (written by lib/CMakeLists.txt) lists each layer's object files. For every
object, each symbol it uses but does not define must be defined in its own layer or in a layer
it may use (below it); a backend (store_memory, store_sqlite, store_postgres, transport_curl) may be reached from
above only through its public wh_* functions, never through its internals. The include paths of
lib/CMakeLists.txt already make an upward #include fail to compile; this also catches what they
cannot see: a declaration copied by hand, or a relative #include "../x/y.h" (refused below).
"""
import os
import re
import subprocess
import sys

# Which layers each layer may use, besides itself. Arrows point one way only.
ALLOWED = {
    "util": [],
    "core": ["util"],
    "match": ["core", "util"],
    "store": ["core", "util"],
    "store_memory": ["store", "core", "util"],
    "store_sqlite": ["store", "core", "util"],
    "store_postgres": ["store", "core", "util"],
    "transport": ["core", "util"],
    "transport_curl": ["transport", "core", "util"],
    "hub": ["match", "store", "transport", "core", "util"],
    "api": ["hub", "match", "store", "core", "util"],
}
# Backends: reached through their vtables; only the hub names one, by its public functions, to
# make the default memory store and libcurl transport.
BACKENDS = {"store_memory", "store_sqlite", "store_postgres", "transport_curl"}
# Public headers a layer may include: the util layer knows nothing of webhooks but its error
# codes and time type.
UTIL_PUBLIC = {"webhooks/common.h"}


def symbols(obj):
    """(defined, undefined) global symbols of one object file."""
    out = subprocess.run(["nm", "-P", obj], check=True, capture_output=True, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            undefined.add(name)
        elif kind.isupper():
            defined.add(name)
    return defined, undefined


def check_symbols(layer_objects):
    layers = {}
    for line in open(layer_objects):
        if line.strip():
            layer, path = line.split(None, 1)
            layers.setdefault(layer, []).append(path.strip())
    unknown = set(layers) - set(ALLOWED)
    if unknown:
        return ["layers missing from ALLOWED in %s: %s" % (__file__, ", ".join(sorted(unknown)))]
    owner = {}  # symbol -> layer defining it
    uses = []  # (layer, object, symbol)
    for layer, objs in layers.items():
        for obj in objs:
            defined, undefined = symbols(obj)
            for name in defined:
                owner[name] = layer
            uses += [(layer, obj, name) for name in undefined]
    problems = []
    for layer, obj, name in uses:
        home = owner.get(name)
        if home is None or home == layer:
            continue  # outside the library (libc, libcurl, ...) or the layer's own
        if home in ALLOWED[layer]:
            continue
        if home in BACKENDS and layer == "hub" and name.startswith("wh_"):
            continue  # the default store and transport the hub makes, by their public names
        problems.append("%s (layer %s) uses %s of layer %s" % (os.path.basename(obj), layer,
                                                                name, home))
    return problems


INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def check_includes(lib_dir):
    problems = []
    for root, _, files in os.walk(lib_dir):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, lib_dir)
            for inc in INCLUDE.findall(open(path, encoding="utf-8").read()):
                if inc.startswith("webhooks/"):
                    if rel.startswith("util/") and inc not in UTIL_PUBLIC:
                        problems.append("%s includes %s: util knows nothing of webhooks"
                                        % (rel, inc))
                elif "/" in inc:
                    problems.append("%s includes \"%s\": private headers are named without a "
                                    "path (the layer's include paths decide what it sees)"
                                    % (rel, inc))
    return problems


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_layers.py LAYER_OBJECTS_FILE LIB_DIR")
    problems = check_symbols(sys.argv[1]) + check_includes(sys.argv[2])
    for p in problems:
        print("layer rule broken: " + p)
    if problems:
        print("see docs/architecture.md: a layer uses only itself and the layers below it")
        sys.exit(1)
    print("every layer uses only itself and the layers below it")


if __name__ == "__main__":
    main()
