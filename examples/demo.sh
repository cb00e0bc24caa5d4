#!/usr/bin/env bash
# `make demo`: libwebhooks' main job end to end on 127.0.0.1. Starts `webhooks listen` (a
# verifying receiver) and `webhooks serve` (the REST API plus delivery, SQLite file), registers
# a webhook with curl, emits three events (one filtered out, one delivered, one that fails once
# and is retried), shows the verified deliveries and the delivery log, and stops both servers.
# Exits 0 only if every step did what it said.
set -uo pipefail
build=${1:-build}
cli=$build/src/cli/webhooks
work=$(mktemp -d)
KEY=demo-key
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
say() { printf '    %s\n' "$*"; }
die() { printf '\nDEMO FAILED: %s\n' "$*"; exit 1; }

# Start a long-running subcommand on port 0 (the system picks a free one) and read the port
# it printed from a fresh stderr file; sets PORT and appends to pids.
start_server() { # name logfile args...
    local name=$1 log=$2; shift 2
    printf '    \033[2m$ webhooks %s --listen 127.0.0.1:0 %s &\033[0m\n' "$name" "$*"
    "$cli" "$name" --listen 127.0.0.1:0 "$@" >"$log" 2>"$log.err" &
    local pid=$! line
    for _ in $(seq 200); do
        line=$(grep -m1 -o -E '(listening on|API on) http://127\.0\.0\.1:[0-9]+/' "$log.err")
        if [ -n "$line" ]; then
            PORT=$(echo "$line" | sed -E 's#.*:([0-9]+)/$#\1#')
            pids+=("$pid")
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    die "webhooks $name did not start: $(cat "$log.err")"
}

api() { # method path [body] -> sets STATUS and BODY; shows the curl line a user can repeat
    local out=$work/api.out
    printf '    \033[2m$ curl -X %s -H "Authorization: Bearer %s" -H "Content-Type: application/json" \\\n' "$1" "$KEY"
    printf '        http://127.0.0.1:%s%s%s\033[0m\n' "$API_PORT" "$2" "${3:+ -d '$3'}"
    STATUS=$(curl -s -o "$out" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $KEY" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://127.0.0.1:$API_PORT$2")
    BODY=$(cat "$out")
}

json_field() { # key json -> first string or number value of "key"
    printf '%s' "$2" | grep -o "\"$1\":\"\\{0,1\\}[^\",}]*" | head -n1 | sed "s/\"$1\":\"\\{0,1\\}//"
}

[ -x "$cli" ] || die "$cli is not built (run make demo)"
"$build/examples/example_subscriptions" >/dev/null || die "the subscriptions example failed"

step "Start the API server: webhooks serve (SQLite file, deliveries allowed to 127.0.0.1)"
start_server serve "$work/serve.log" --db "$work/demo.db" \
    --api-key "$KEY:alice:webhooks:read,webhooks:write,events:write" --allow-network 127.0.0.0/8
API_PORT=$PORT
say "API on http://127.0.0.1:$API_PORT/, database $work/demo.db"

step "Register a webhook for order.* events (POST /webhooks); the answer shows its secret once"
say "it points at a receiver not started yet; the next step points it at the real port"
api POST /webhooks "{\"name\":\"ERP\",\"url\":\"http://127.0.0.1:9/hooks/orders\",\"events\":[\"order.*\"],\"retry\":{\"schedule\":[2]}}"
created=$BODY
[ "$STATUS" = 201 ] || die "POST /webhooks answered $STATUS: $created"
ID=$(json_field id "$created")
SECRET=$(printf '%s' "$created" | grep -o 'whsec_[A-Za-z0-9+/=]*' | head -n1)
[ -n "$ID" ] && [ -n "$SECRET" ] || die "no id or secret in: $created"
say "201 Created: webhook $ID, secret ${SECRET:0:12}... (retry after 2 s)"
api GET /webhooks
listing=$BODY
printf '%s' "$listing" | grep -q whsec_ && die "the listing shows the secret"
say "GET /webhooks lists it without the secret"

step "Start the receiver: webhooks listen, verifying with that secret, failing its first request"
start_server listen "$work/listen.log" --secret "$SECRET" --fail-first 1
RECV_PORT=$PORT
api PATCH "/webhooks/$ID" "{\"url\":\"http://127.0.0.1:$RECV_PORT/hooks/orders\"}"
[ "$STATUS" = 200 ] || die "PATCH /webhooks/$ID answered $STATUS: $BODY"
say "PATCH /webhooks/$ID points the webhook at the receiver's port"
say "receiver on http://127.0.0.1:$RECV_PORT/ (answers 500 once, then 204)"

step "Emit three events (POST /events)"
api POST /events '{"type":"invoice.paid","data":{"invoice":"F-1"}}'
e1=$BODY
[ "$STATUS" = 202 ] || [ "$STATUS" = 200 ] || die "POST /events answered $STATUS: $e1"
[ "$(json_field queued "$e1")" = 0 ] || die "invoice.paid should match nothing: $e1"
say "invoice.paid   -> queued 0 (filtered out: the webhook listens to order.*)"
api POST /events '{"id":"evt_order_1","type":"order.created","data":{"order":1001}}'
e2=$BODY
[ "$(json_field queued "$e2")" = 1 ] || die "order.created should be queued once: $e2"
say "order.created  -> queued 1 (its first attempt meets the receiver's 500: retried in 2 s)"
for _ in $(seq 100); do [ -s "$work/listen.log" ] && break; sleep 0.1; done # that first attempt
api POST /events '{"id":"evt_order_2","type":"order.shipped","data":{"order":1001}}'
e3=$BODY
[ "$(json_field queued "$e3")" = 1 ] || die "order.shipped should be queued once: $e3"
say "order.shipped  -> queued 1"

step "Wait for the deliveries (at most 30 s)"
for _ in $(seq 300); do
    [ "$(grep -c verified "$work/listen.log")" -ge 3 ] && break
    sleep 0.1
done
sed 's/^/    receiver: /' "$work/listen.log"
[ "$(grep -c "^[0-9]* verified order.created evt_order_1 -> 500" "$work/listen.log")" = 1 ] ||
    die "order.created's first attempt should have met a 500"
[ "$(grep -c "verified order.created evt_order_1 -> 204" "$work/listen.log")" = 1 ] ||
    die "order.created should have been retried and accepted"
[ "$(grep -c "verified order.shipped evt_order_2 -> 204" "$work/listen.log")" = 1 ] ||
    die "order.shipped should have been delivered"
grep -q INVALID "$work/listen.log" && die "a delivery did not verify"
grep -q invoice.paid "$work/listen.log" && die "invoice.paid was delivered"
say "every request verified with the webhook's secret; invoice.paid never arrived"

step "The delivery log (GET /webhooks/$ID/deliveries)"
api GET "/webhooks/$ID/deliveries"
log=$BODY
[ "$STATUS" = 200 ] || die "deliveries answered $STATUS: $log"
# One line per delivery: its event, status and attempts (each attempt has a "number").
summary=$(printf '%s' "$log" | awk 'BEGIN { RS = "\\{\"id\":\"dlv_" } NR > 1 {
    match($0, /"eventType":"[^"]*"/); ev = substr($0, RSTART + 13, RLENGTH - 14)
    match($0, /"status":"[^"]*"/); st = substr($0, RSTART + 10, RLENGTH - 11)
    n = gsub(/"number":/, "&"); printf "    dlv_%s  %-14s %-10s %d attempt(s)\n", substr($0, 1, 24), ev, st, n }')
printf '%s\n' "$summary"
printf '%s' "$summary" | grep -q "order.created  *succeeded  *2 attempt" ||
    die "the log should show order.created succeeded at its second attempt"

succeeded=$(printf '%s' "$log" | grep -o '"status":"succeeded"' | wc -l)
[ "$succeeded" -ge 2 ] || die "both deliveries should be succeeded in the log"
say "2 deliveries succeeded; order.created took 2 attempts"
api GET "/webhooks/$ID"
hook=$BODY
say "webhook stats: lastDeliveryStatus=$(json_field lastDeliveryStatus "$hook") failureCount=$(json_field failureCount "$hook")"
[ "$(json_field failureCount "$hook")" = 0 ] || die "failureCount should be back to 0"

step "Stop both servers (SIGTERM) and check they exit cleanly"
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do wait "$p" || die "a server exited with status $?"; done
pids=()
grep -q "stopping" "$work/serve.log.err" || die "serve did not report stopping"
say "both stopped; the database keeps the webhook and its log for the next start"

"$build/examples/example_subscriptions" >/dev/null
printf '\ndemo: every step did what it said\n'
