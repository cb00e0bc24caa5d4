#!/usr/bin/env bash
# The man pages: each renders without a warning from groff (man --warnings, the check Debian's
# lintian runs), and every command `webhooks --help` lists has its page.
#   check_man.sh MAN_DIR WEBHOOKS_BINARY
set -uo pipefail
dir=$1 bin=$2
fails=0
for page in "$dir"/*.1; do
    warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
        man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
    if [ -n "$warnings" ]; then
        echo "FAIL: $(basename "$page"): $warnings"
        fails=$((fails + 1))
    fi
done
commands=$("$bin" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}')
[ -n "$commands" ] || { echo "FAIL: no commands in webhooks --help"; exit 1; }
for c in $commands; do
    [ -f "$dir/webhooks-$c.1" ] || { echo "FAIL: no man page for webhooks $c"; fails=$((fails + 1)); }
done
echo "$(ls "$dir"/*.1 | wc -l) man pages render cleanly; every command has one"
[ "$fails" -eq 0 ]
