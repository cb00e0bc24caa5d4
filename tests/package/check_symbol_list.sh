#!/usr/bin/env bash
# The exported-symbol list lib/webhooks.sym (the shared library's linker version script) must
# name exactly the functions the headers declare WH_EXTERN, and the built library must export
# exactly the symbols on the list.
#
#   check_symbol_list.sh SYMFILE INCLUDE_DIR LIBRARY   check (a ctest test: package.symbol_list)
#   check_symbol_list.sh --write SYMFILE INCLUDE_DIR   rewrite SYMFILE from the headers
set -euo pipefail
export LC_ALL=C # one byte order for sort, comm and the sortedness check

usage() { echo "usage: $0 [--write] SYMFILE INCLUDE_DIR [LIBRARY]" >&2; exit 2; }
write=0
if [ "${1:-}" = "--write" ]; then write=1; shift; fi
[ $# -ge 2 ] || usage
symfile=$1 incdir=$2 lib=${3:-}
fix="fix: edit $symfile (one 'name;' line per symbol, sorted), or regenerate it from the headers with
  $0 --write $symfile $incdir"

# Functions declared WH_EXTERN in the public headers. Comments are removed first, and a
# declaration may span lines: the name is the last identifier before the first '('.
declared() {
    find "$incdir" -name '*.h' -print0 | sort -z | xargs -0 cat | perl -0777 -ne '
        s{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g;
        while (/\bWH_EXTERN\b([^;(){}]*)\(/g) {
            my @w = ($1 =~ /([A-Za-z_]\w*)/g);
            print "$w[-1]\n" if @w && $w[-1] =~ /^wh_/;
        }' | sort -u
}

# Names in the version script's global: section.
listed() {
    perl -0777 -ne '
        s{/\*.*?\*/}{ }gs;
        if (/global\s*:(.*?)local\s*:/s) { my $g = $1; print "$_\n" for ($g =~ /([A-Za-z_]\w*)\s*;/g) }
    ' "$symfile"
}

if [ "$write" = 1 ]; then
    names=$(declared)
    [ -n "$names" ] || { echo "no WH_EXTERN declarations found under $incdir" >&2; exit 1; }
    {
        echo "/*"
        echo " * Every symbol libwebhooks.so exports: the linker version script of the shared library"
        echo " * (lib/CMakeLists.txt), so anything not listed here stays hidden. The ctest test"
        echo " * package.symbol_list fails when this list, the WH_EXTERN declarations under include/ and"
        echo " * the built library disagree. Regenerate after adding a public function:"
        echo " *   tests/package/check_symbol_list.sh --write lib/webhooks.sym include"
        echo " * Removing or changing a listed function breaks the ABI (bump SOVERSION)."
        echo " */"
        echo "{"
        echo "  global:"
        echo "$names" | sed 's/^/    /; s/$/;/'
        echo "  local:"
        echo "    *;"
        echo "};"
    } >"$symfile"
    echo "wrote $(echo "$names" | wc -l) symbols to $symfile"
    exit 0
fi

[ -n "$lib" ] || usage
status=0
report() { # report TITLE LIST
    if [ -n "$2" ]; then
        echo "$1:"
        echo "$2" | sed 's/^/    /'
        status=1
    fi
}

decl=$(declared)
list=$(listed)
[ -n "$list" ] || { echo "$symfile has no 'global:' names before 'local:'"; exit 1; }
dups=$(echo "$list" | sort | uniq -d)
report "listed more than once in $symfile" "$dups"
if [ "$list" != "$(echo "$list" | LC_ALL=C sort)" ]; then
    echo "$symfile is not sorted (LC_ALL=C sort)"
    status=1
fi
list=$(echo "$list" | sort -u)
exported=$(nm -D --defined-only "$lib" | awk 'NF == 3 && $2 != "A" { print $3 }' | sed 's/@.*//' |
           sort -u)

report "declared WH_EXTERN under $incdir but missing from $symfile" \
       "$(comm -23 <(echo "$decl") <(echo "$list"))"
report "listed in $symfile but not declared WH_EXTERN in any header under $incdir" \
       "$(comm -13 <(echo "$decl") <(echo "$list"))"
report "exported by $lib but not listed in $symfile" \
       "$(comm -23 <(echo "$exported") <(echo "$list"))"
report "listed in $symfile but not exported by $lib (no definition, or not WH_EXTERN)" \
       "$(comm -13 <(echo "$exported") <(echo "$list"))"

if [ "$status" != 0 ]; then
    echo "$fix"
    exit 1
fi
echo "$(echo "$list" | wc -l) symbols: $symfile, the WH_EXTERN declarations and $(basename "$lib") agree"
