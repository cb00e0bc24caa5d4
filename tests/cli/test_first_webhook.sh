#!/usr/bin/env bash
# The README's first webhook, as a newcomer runs it: `webhooks listen --secret S` as the
# receiver, examples/embed.c given its URL and S; the receiver's line must say "verified".
# Then without S: the example prints the secret it generated, and the receiver (which knows
# another) answers 401, which the example reports with exit status 1.
#   test_first_webhook.sh WEBHOOKS EXAMPLE_EMBED
set -uo pipefail
bin=$1 example=$2
S=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
work=$(mktemp -d)
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
. "$(dirname "$0")/lib.sh"
wh_start "$bin" listen "$work/recv" 0 --secret $S || exit 1
trap 'kill -9 $PID 2>/dev/null; rm -rf "$work"' EXIT

"$example" "http://127.0.0.1:$PORT/hooks" $S >"$work/out" 2>&1
check "the example exits 0" "$?" 0
check "it signs with the secret given" "$(grep -c "signs with $S\$" "$work/out")" 1
check "the receiver verified it" "$(grep -c '^1 verified order.created msg_.* -> 204$' "$work/recv")" 1

"$example" "http://127.0.0.1:$PORT/hooks" >"$work/out2" 2>&1
check "with a generated secret the receiver refuses: exit 1" "$?" 1
check "the generated secret is printed" "$(grep -c 'signs with whsec_' "$work/out2")" 1
check "the receiver says INVALID" "$(grep -c '^2 INVALID (.*) order.created .* -> 401$' "$work/recv")" 1
kill -TERM $PID; wait $PID
echo "$fails failures"
[ "$fails" -eq 0 ]
