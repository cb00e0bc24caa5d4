#!/usr/bin/env bash
# `webhooks listen` for real on 127.0.0.1: signed requests verify, unsigned ones do not,
# --fail-first and --status shape the answers, SIGTERM stops it cleanly.
set -uo pipefail
bin=$1
S=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
out=$(mktemp)
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

. "$(dirname "$0")/lib.sh"
start() { wh_start "$bin" listen "$out" 0 --secret $S "$@" || exit 1; }
stop() { kill -TERM $PID; wait $PID; STATUS=$?; }

body='{"id":"evt_9","type":"order.created","timestamp":"2026-01-01T00:00:00.000Z","data":{}}'
args=()
while IFS= read -r line; do args+=(-H "$line"); done < <(printf '%s' "$body" | "$bin" sign --secret $S --id evt_9)
post() { curl -s -o /dev/null -w "%{http_code}" -X POST "$@" --data-binary "$body" "http://127.0.0.1:$PORT/hook"; }

start --fail-first 1
check "first answer with --fail-first 1" "$(post "${args[@]}")" 500
check "second answer" "$(post "${args[@]}")" 204
check "an unsigned request is refused" "$(post -H 'webhook-id: x')" 401
stop
check "exit status on SIGTERM" "$STATUS" 0
check "line 1" "$(sed -n 1p "$out")" "1 verified order.created evt_9 -> 500"
check "line 2" "$(sed -n 2p "$out")" "2 verified order.created evt_9 -> 204"
check "line 3 says why" "$(sed -n 3p "$out" | cut -c1-10)" "3 INVALID "
check "line 3 says 401" "$(sed -n 3p "$out" | grep -o -- '-> 401$')" "-> 401"

start --accept-invalid
check "--accept-invalid answers an unsigned request" "$(post -H 'webhook-id: x')" 204
check "--accept-invalid answers a signed one" "$(post "${args[@]}")" 204
stop
check "--accept-invalid still says INVALID" "$(sed -n 1p "$out" | cut -c1-10)" "1 INVALID "

start --status 410
check "--status 410" "$(post "${args[@]}")" 410
stop

# --dump: each request's headers and body saved, and the printed verify command checks them
# (with --now, so it still holds after the tolerance has passed).
dump=$(mktemp -d)
start --dump "$dump/d"
check "--dump: first answer" "$(post "${args[@]}")" 204
check "--dump: second answer" "$(post -H 'webhook-id: x')" 401
stop
check "--dump: files" "$(cd "$dump/d" && ls | tr '\n' ' ')" "000001.body 000001.headers 000002.body 000002.headers "
check "--dump: the body as received" "$(cat "$dump/d/000001.body")" "$body"
check "--dump: file mode" "$(stat -c %a "$dump/d/000001.body")" 600
cmd=$(grep -A1 '^  saved .*000001.headers' "$out" | sed -n 2p | sed "s/^  webhooks /\"\$bin\" /; s/SECRET/$S/")
check "--dump: the line names the verify command" "$(echo "$cmd" | grep -c -- '--now [0-9]* --headers-file')" 1
check "--dump: that command says valid" "$(eval "$cmd")" "valid"
printf 'x' >>"$dump/d/000001.body"
check "--dump: a changed body does not verify" "$(eval "$cmd" | cut -c1-8)" "invalid:"
check "--dump into a file is a usage error" "$("$bin" listen --secret $S --dump "$dump/d/000001.body" 2>/dev/null; echo $?)" 2
rm -rf "$dump"

check "--help exits 0" "$("$bin" listen --help >/dev/null; echo $?)" 0
check "no secret is a usage error" "$("$bin" listen 2>/dev/null; echo $?)" 2
check "bad address is a usage error" "$("$bin" listen --secret $S --listen nowhere 2>/dev/null; echo $?)" 2
rm -f "$out" "$out".err.*
echo "$fails failures"
[ "$fails" -eq 0 ]
