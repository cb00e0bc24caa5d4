#!/usr/bin/env bash
# `webhooks serve` for real: the REST API over HTTP with an API key, deliveries that keep failing
# while the server is stopped with SIGTERM, and a restart over the same SQLite file that delivers
# them all: nothing accepted is lost across a clean stop.
set -uo pipefail
bin=$1
work=$(mktemp -d)
S=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
KEY=k1
fails=0
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }

. "$(dirname "$0")/lib.sh"
start() { # name port log args... (port 0: any free one); sets PID and PORT
    local name=$1 port=$2 log=$3; shift 3
    wh_start "$bin" "$name" "$log" "$port" "$@" || exit 1
    pids+=("$PID")
}
api() { curl -s -o "$work/body" -w '%{http_code}' -X "$1" -H "x-api-key: $KEY" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://127.0.0.1:$API$2"; }
wait_lines() { # file pattern count
    for _ in $(seq 200); do [ "$(grep -c "$2" "$1")" -ge "$3" ] && return 0; sleep 0.05; done; return 1
}
stop() { kill -TERM "$1"; wait "$1"; STATUS=$?; }

serve_args=(--db "$work/hooks.db" --api-key "$KEY:bob:*" --allow-network 127.0.0.0/8 --quiet)
start listen 0 "$work/recv1" --secret $S --status 500
L1=$PID RECV=$PORT
start serve 0 "$work/serve1" "${serve_args[@]}"
S1=$PID API=$PORT

check "401 without a key" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$API/webhooks)" 401
check "create" "$(api POST /webhooks "{\"url\":\"http://127.0.0.1:$RECV/in\",\"events\":[\"a.*\"],\"secrets\":[\"$S\"],\"retry\":{\"schedule\":[1,1,1,1,1,1,1,1,1,1]}}")" 201
for i in 1 2 3; do check "emit $i" "$(api POST /events "{\"id\":\"evt_$i\",\"type\":\"a.b\"}")" 202; done
wait_lines "$work/recv1" "verified a.b" 3 || echo "FAIL: the first attempts did not arrive"
stop $S1
check "serve exits 0 on SIGTERM" "$STATUS" 0
stop $L1

# A healthy receiver, and the server again over the same file: the three are delivered.
# The webhook names the receiver's port, so the new receiver takes the same one.
start listen $RECV "$work/recv2" --secret $S
L2=$PID
start serve 0 "$work/serve2" "${serve_args[@]}"
S2=$PID API=$PORT
wait_lines "$work/recv2" "verified a.b evt_.* -> 204" 3 || echo "FAIL: not delivered after the restart"
for i in 1 2 3; do
    check "evt_$i delivered after the restart" "$(grep -c "verified a.b evt_$i -> 204" "$work/recv2")" 1
done
check "webhooks survive the restart" "$(api GET /webhooks)" 200
check "one webhook listed" "$(grep -o '"total":[0-9]*' "$work/body")" '"total":1'
kill -INT $S2; wait $S2
check "serve exits 0 on SIGINT" "$?" 0
stop $L2
check "database file mode" "$(stat -c %a "$work/hooks.db")" 600

# --retention: the three deliveries made 40 days old (past the 30-day default); kept forever
# with 0, purged with 1.
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE deliveries SET created_at = created_at - 3456000000, updated_at = updated_at - 3456000000'); c.commit()" "$work/hooks.db"
WEBHOOK=$(grep -o '"id":"[^"]*"' "$work/body" | head -1 | cut -d'"' -f4)
deliveries() { api GET "/webhooks/$WEBHOOK/deliveries" >/dev/null; grep -o '"total":[0-9]*' "$work/body"; }
start serve 0 "$work/serve5" "${serve_args[@]}" --retention 0
S5=$PID API=$PORT
sleep 0.5
check "--retention 0 keeps old deliveries" "$(deliveries)" '"total":3'
stop $S5
start serve 0 "$work/serve6" "${serve_args[@]}" --retention 1
S6=$PID API=$PORT
for _ in $(seq 100); do [ "$(deliveries)" = '"total":0' ] && break; sleep 0.05; done
check "--retention 1 purges 40-day-old deliveries" "$(deliveries)" '"total":0'
stop $S6
check "--retention -1 is a usage error" "$("$bin" serve --db :memory: --retention -1 2>/dev/null; echo $?)" 2

# A port in use is said in words, with the usage exit status.
start listen 0 "$work/holder" --secret $S
HOLDER=$PID
"$bin" serve --listen "127.0.0.1:$PORT" --db :memory: --api-key "$KEY:bob:*" 2>"$work/busy.err"
check "a port in use: exit status" "$?" 2
check "a port in use: the message" "$(grep -c "cannot listen on 127.0.0.1:$PORT: the port is in use" "$work/busy.err")" 1
stop $HOLDER

# --retry-schedule: the schedule of webhooks that set none (shown in the create answer);
# --allowed-methods: other methods are refused.
start serve 0 "$work/serve3" --db :memory: --api-key "$KEY:bob:*" --retry-schedule 7,8 --allowed-methods post,PUT
S3=$PID API=$PORT
check "create under --retry-schedule" "$(api POST /webhooks '{"url":"https://example.com/h","events":["a"]}')" 201
check "its schedule" "$(grep -o '"schedule":\[[0-9,]*\]' "$work/body")" '"schedule":[7,8]'
check "a method not allowed" "$(api POST /webhooks '{"url":"https://example.com/h","events":["a"],"method":"DELETE"}')" 400
check "says which are" "$(grep -c 'DELETE is not allowed (allowed: POST, PUT)' "$work/body")" 1
check "an allowed method" "$(api POST /webhooks '{"url":"https://example.com/h","events":["a"],"method":"PUT"}')" 201
stop $S3
start serve 0 "$work/serve4" --db :memory: --api-key "$KEY:bob:*" --retry-schedule none
S4=$PID API=$PORT
check "create under --retry-schedule none" "$(api POST /webhooks '{"url":"https://example.com/h","events":["a"]}')" 201
check "retries off" "$(grep -o '"retry":{"enabled":false' "$work/body")" '"retry":{"enabled":false'
stop $S4
for bad in "5," "0" "x" "$(seq -s, 1 33)"; do
    check "--retry-schedule '$bad' is a usage error" "$("$bin" serve --db :memory: --retry-schedule "$bad" 2>/dev/null; echo $?)" 2
done
check "--allowed-methods TRACE is a usage error" "$("$bin" serve --db :memory: --allowed-methods POST,TRACE 2>&1 | grep -c "not 'TRACE'")" 1

# Every subcommand's help says what its exit status means.
for sub in sign verify listen serve; do
    check "$sub --help has an Exit status section" "$("$bin" $sub --help | grep -c '^Exit status: ')" 1
done
echo "$fails failures"
[ "$fails" -eq 0 ]
