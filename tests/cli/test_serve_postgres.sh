#!/usr/bin/env bash
# Two `webhooks serve` processes on one PostgreSQL database (a throw-away server started by
# wh_pg_server, stopped when this script's pipe to it closes) behave as one service: a webhook
# registered through one is listed and served by the other, and every event posted to either
# is delivered exactly once. A wrong password is refused without being printed.
set -uo pipefail
bin=$1 pgbin=$2
work=$(mktemp -d)
S=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
KEY=k1
fails=0
pids=()
coproc PG { "$pgbin"; }
pg_in=${PG[1]}
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; exec {pg_in}>&-; wait; rm -rf "$work"' EXIT
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

. "$(dirname "$0")/lib.sh"
start() { # name log args...; sets PID and PORT
    local name=$1 log=$2; shift 2
    wh_start "$bin" "$name" "$log" 0 "$@" || exit 1
    pids+=("$PID")
}
api() { # port method path [body]
    curl -s -o "$work/body" -w '%{http_code}' -X "$2" -H "x-api-key: $KEY" \
        -H 'Content-Type: application/json' ${4:+--data-binary "$4"} "http://127.0.0.1:$1$3"
}

read -r -t 60 URI <&"${PG[0]}" || { echo "FAIL: no PostgreSQL server"; exit 1; }
echo "server: $URI"
start listen "$work/recv" --secret $S
RECV=$PORT
serve_args=(--db "$URI" --api-key "$KEY:bob:*" --allow-network 127.0.0.0/8 --quiet)
start serve "$work/serve1" "${serve_args[@]}"
API1=$PORT
start serve "$work/serve2" "${serve_args[@]}"
API2=$PORT

check "create through the first" "$(api $API1 POST /webhooks "{\"url\":\"http://127.0.0.1:$RECV/in\",\"events\":[\"a.*\"],\"secrets\":[\"$S\"]}")" 201
check "listed by the second" "$(api $API2 GET /webhooks)" 200
check "one webhook" "$(grep -o '"total":[0-9]*' "$work/body")" '"total":1'
# The second's index learns the webhook from the database's notification.
for _ in $(seq 100); do
    [ "$(api $API2 POST /events '{"id":"evt_probe","type":"a.probe"}')" = 202 ] &&
        grep -q '"queued":1' "$work/body" && break
    sleep 0.05
done
check "the second matches it" "$(grep -o '"queued":[0-9]*' "$work/body")" '"queued":1'
for i in $(seq 1 20); do
    port=$API1; [ $((i % 2)) = 0 ] && port=$API2
    check "event $i accepted" "$(api $port POST /events "{\"id\":\"evt_$i\",\"type\":\"a.b\"}")" 202
done
for _ in $(seq 200); do [ "$(grep -c 'verified a.b' "$work/recv")" -ge 20 ] && break; sleep 0.05; done
sleep 0.5 # a duplicate would arrive by now
check "every event delivered" "$(grep -c 'verified a.b' "$work/recv")" 20
check "none twice" "$(grep -o 'verified a.b evt_[0-9]*' "$work/recv" | sort | uniq -d | wc -l)" 0

# A password that the server refuses: a clear error, and the password never printed.
bad="postgresql://nobody:s3cr3t-pw@${URI#postgresql://wh@}"
"$bin" serve --listen 127.0.0.1:0 --db "$bad" --api-key "$KEY:bob:*" 2>"$work/bad.err"
check "a refused login: exit status" "$?" 2
check "says why" "$(grep -c 'cannot start the hub' "$work/bad.err")" 1
check "the password is not printed" "$(grep -c 's3cr3t-pw' "$work/bad.err")" 0
echo "$fails failures"
[ "$fails" -eq 0 ]
