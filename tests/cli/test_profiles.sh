#!/usr/bin/env bash
# API profiles through real HTTP: `webhooks serve` with the shipped profiles mounted, driven with
# curl as each seed document describes its API (tests/cli/README: seeds in ../shared/seeds), and
# real deliveries to `webhooks listen` on 127.0.0.1 showing each profile's delivery behaviour.
# One store behind every mount: a webhook created through one profile is read through others.
set -uo pipefail
bin=$1
work=$(mktemp -d)
S=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
fails=0
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: got '$2', want '$3'"; fails=$((fails + 1)); fi; }
has() { if grep -q -- "$2" "$work/body"; then echo "ok: $1"; else echo "FAIL: $1: no '$2' in $(head -c 600 "$work/body")"; fails=$((fails + 1)); fi; }
hasnt() { if ! grep -q -- "$2" "$work/body"; then echo "ok: $1"; else echo "FAIL: $1: '$2' in $(head -c 600 "$work/body")"; fails=$((fails + 1)); fi; }
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$work/body" "$1" 2>/dev/null; }

. "$(dirname "$0")/lib.sh"
start() { # name log args...; sets PID and PORT
    local name=$1 log=$2; shift 2
    wh_start "$bin" "$name" "$log" 0 "$@" || exit 1
    pids+=("$PID")
}
# req METHOD PATH [BODY] with the header in $AUTH ("Name: value"); prints the status
req() { curl -s -o "$work/body" -w '%{http_code}' -X "$1" ${AUTH:+-H "$AUTH"} \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://127.0.0.1:$API$2"; }
wait_files() { # dir count
    for _ in $(seq 200); do [ "$(ls "$1" 2>/dev/null | grep -c '\.body$')" -ge "$2" ] && return 0; sleep 0.05; done; return 1
}

cat >"$work/catalogue.json" <<'EOF'
{"eventTypes":[{"name":"purchase_approved","displayName":"Compra aprovada","customId":"3"},
               {"name":"purchase_refused","displayName":"Compra recusada","customId":"4"},
               "recognition.created", "alert.triggered", "camera.online", "WEBHOOK.CONVERTED",
               "WEBHOOK.MARKED_OPPORTUNITY", "crm_deal_created", "incoming_whatsapp_message",
               "contact_tag_added", "order.create"],
 "products":[{"id":"cd287b31-d4b7-4e94-858a-96e05ce2f4r4","name":"Produto 1","price":5,
              "type":"unique","category":{"id":"0673d296","name":"Apps & Software"}}]}
EOF

start listen "$work/recv" --secret $S --accept-invalid --dump "$work/dump"
RECV=$PORT
# cakto, placaflow and rdstation at their own prefixes, whautochat and commerce too, and native at /
start serve "$work/serve" --db :memory: --allow-network 127.0.0.0/8 --quiet \
    --catalogue "$work/catalogue.json" \
    --api-key "pk_live1:42:*" --api-key "pk_ro:42:webhooks:read" --api-key "pk_wo:42:webhooks:write" \
    --api-key "pk_other:43:*" --api-key "tok_nopk:42:*" \
    --mount /=native --mount /cakto=cakto --mount /pf=placaflow --mount /rd=rdstation \
    --mount /shop=commerce --mount /wa=whautochat
API=$PORT

# ---- placaflow (seed 001): GET /api/webhooks of the authenticated user, pk_ keys, scopes ----
AUTH="Authorization: Bearer pk_live1"
check "placaflow: create" "$(req POST /pf/api/webhooks "{\"name\":\"Sistema ERP\",\"url\":\"http://127.0.0.1:$RECV/pf\",\"secret\":\"$S\",\"events\":[\"recognition.created\",\"alert.triggered\"],\"headers\":{\"X-Source\":\"placaflow\"}}")" 201
PF=$(jq_ 'd["id"]')
check "placaflow: create answers the webhook's fields" "$(jq_ 'sorted(d.keys())')" "['createdAt', 'enabled', 'events', 'failureCount', 'headers', 'id', 'lastDeliveryAt', 'lastDeliveryStatus', 'name', 'secret', 'updatedAt', 'url', 'userId']"
check "placaflow: list" "$(req GET /pf/api/webhooks)" 200
check "placaflow: list is {webhooks:[...]} only" "$(jq_ 'list(d.keys())')" "['webhooks']"
check "placaflow: each with seed 001's fields" "$(jq_ 'sorted(d["webhooks"][0].keys())')" "['createdAt', 'enabled', 'events', 'failureCount', 'headers', 'id', 'lastDeliveryAt', 'lastDeliveryStatus', 'name', 'secret', 'updatedAt', 'url', 'userId']"
check "placaflow: userId, enabled, secret, headers" "$(jq_ '(d["webhooks"][0]["userId"], d["webhooks"][0]["enabled"], d["webhooks"][0]["secret"], d["webhooks"][0]["headers"])')" "('42', True, '$S', {'X-Source': 'placaflow'})"
check "placaflow: failureCount a number, no delivery yet" "$(jq_ '(d["webhooks"][0]["failureCount"], d["webhooks"][0]["lastDeliveryAt"], d["webhooks"][0]["lastDeliveryStatus"])')" "(0, None, None)"
check "placaflow: times in UTC" "$(jq_ 'd["webhooks"][0]["createdAt"][-1]')" "Z"
for i in 2 3; do req POST /pf/api/webhooks "{\"name\":\"w$i\",\"url\":\"https://example.com/$i\",\"events\":[\"camera.online\"]}" >/dev/null; done
req GET /pf/api/webhooks >/dev/null
check "placaflow: every webhook, no paging" "$(jq_ 'len(d["webhooks"])')" 3
AUTH="Authorization: Bearer pk_other"
req GET /pf/api/webhooks >/dev/null
check "placaflow: only the caller's webhooks" "$(jq_ 'len(d["webhooks"])')" 0
AUTH=""
check "placaflow: 401 unauthenticated" "$(req GET /pf/api/webhooks)" 401
AUTH="Authorization: Bearer tok_nopk"
check "placaflow: 401 for a key without pk_" "$(req GET /pf/api/webhooks)" 401
AUTH="Authorization: Bearer pk_wo"
check "placaflow: 403 without webhooks:read" "$(req GET /pf/api/webhooks)" 403
has "placaflow: 403 names the scope" "webhooks:read"
AUTH="Authorization: Bearer pk_live1"
check "placaflow: get" "$(req GET /pf/api/webhooks/$PF)" 200
check "placaflow: update (PATCH)" "$(req PATCH /pf/api/webhooks/$PF '{"enabled":false}')" 200
check "placaflow: enabled false" "$(jq_ 'd["enabled"]')" False
check "placaflow: enable again" "$(req PATCH /pf/api/webhooks/$PF '{"enabled":true}')" 200
check "placaflow: 400 for a bad enabled" "$(req PATCH /pf/api/webhooks/$PF '{"enabled":"yes"}')" 400
has "placaflow: the error names the field" "enabled"
check "placaflow: 404 for another's webhook" "$(AUTH="Authorization: Bearer pk_other" req GET /pf/api/webhooks/$PF)" 404

# ---- native at /: the same webhook, every field of the model ----
AUTH="x-api-key: pk_live1"
check "native: reads placaflow's webhook" "$(req GET /webhooks/$PF)" 200
check "native: its headers and owner" "$(jq_ '(d["headers"], d["ownerId"], d["status"])')" "({'X-Source': 'placaflow'}, '42', 'active')"

# A delivery: seed 001's custom header and the stats afterwards.
check "native: emit recognition.created" "$(req POST /events '{"id":"evt_pf1","type":"recognition.created","data":{"plate":"ABC1D23"}}')" 202
wait_files "$work/dump" 1 || echo "FAIL: placaflow delivery did not arrive"
check "placaflow: delivery verified" "$(grep -c 'verified recognition.created evt_pf1' "$work/recv")" 1
check "placaflow: custom header sent" "$(grep -ci '^X-Source: placaflow' "$work"/dump/000001.headers)" 1
AUTH="Authorization: Bearer pk_live1"
for _ in $(seq 100); do req GET /pf/api/webhooks/$PF >/dev/null; [ "$(jq_ 'd["lastDeliveryStatus"]')" = 204 ] && break; sleep 0.05; done
check "placaflow: lastDeliveryStatus" "$(jq_ 'd["lastDeliveryStatus"]')" 204
check "placaflow: lastDeliveryAt set, failureCount 0" "$(jq_ '(d["lastDeliveryAt"] is not None, d["failureCount"])')" "(True, 0)"
check "placaflow: delete" "$(req DELETE /pf/api/webhooks/$PF)" 204
check "placaflow: gone" "$(req GET /pf/api/webhooks/$PF)" 404
has "placaflow: error shape" '"message"'

# ---- rdstation (seed 002) ----
AUTH="Authorization: Bearer pk_live1"
RDB="{\"event_type\":\"WEBHOOK.CONVERTED\",\"entity_type\":\"CONTACT\",\"url\":\"http://127.0.0.1:$RECV/rd\",\"http_method\":\"POST\",\"event_identifiers\":[\"form-1\"],\"include_relations\":[\"COMPANY\",\"CONTACT_FUNNEL\"]}"
check "rdstation: create" "$(req POST /rd/integrations/webhooks "$RDB")" 200
RD=$(jq_ 'd["uuid"]')
check "rdstation: snake_case fields" "$(jq_ 'sorted(d.keys())')" "['created_at', 'entity_type', 'event_identifiers', 'event_type', 'http_method', 'include_relations', 'platform_account_id', 'source', 'status', 'updated_at', 'url', 'uuid']"
check "rdstation: event_type a string, platform_account_id a number, status active" "$(jq_ '(d["event_type"], d["platform_account_id"], d["status"], d["include_relations"])')" "('WEBHOOK.CONVERTED', 42, 'active', ['COMPANY', 'CONTACT_FUNNEL'])"
check "rdstation: list" "$(req GET /rd/integrations/webhooks)" 200
check "rdstation: list is {webhooks:[...]}, with it" "$(jq_ '(list(d.keys()), [w["uuid"] for w in d["webhooks"] if w["uuid"] == "'$RD'"])')" "(['webhooks'], ['$RD'])"
check "rdstation: get" "$(req GET /rd/integrations/webhooks/$RD)" 200
check "rdstation: http_method GET is 400" "$(req PUT /rd/integrations/webhooks/$RD '{"event_type":"WEBHOOK.CONVERTED","entity_type":"CONTACT","http_method":"GET","url":"https://example.com/x"}')" 400
has "rdstation: names the method" 'GET'
check "rdstation: unknown event_type is 400" "$(req POST /rd/integrations/webhooks '{"event_type":"order.created","entity_type":"CONTACT","http_method":"POST","url":"https://example.com/x"}')" 400
check "rdstation: event_identifiers only for WEBHOOK.CONVERTED" "$(req POST /rd/integrations/webhooks '{"event_type":"crm_deal_created","entity_type":"CONTACT","http_method":"POST","url":"https://example.com/x","event_identifiers":["a"]}')" 400
check "rdstation: include_relations COMPANY, CONTACT_FUNNEL only" "$(req POST /rd/integrations/webhooks '{"event_type":"crm_deal_created","entity_type":"CONTACT","http_method":"POST","url":"https://example.com/x","include_relations":["DEAL"]}')" 400
check "rdstation: entity_type CONTACT only" "$(req POST /rd/integrations/webhooks '{"event_type":"crm_deal_created","entity_type":"COMPANY","http_method":"POST","url":"https://example.com/x"}')" 400
check "rdstation: url required" "$(req POST /rd/integrations/webhooks '{"event_type":"crm_deal_created","entity_type":"CONTACT","http_method":"POST"}')" 400
check "rdstation: 404" "$(req GET /rd/integrations/webhooks/nope)" 404
check "rdstation: 401" "$(AUTH="" req GET /rd/integrations/webhooks)" 401
check "rdstation: PUT" "$(req PUT /rd/integrations/webhooks/$RD "$RDB")" 200
# The AND rule: WEBHOOK.CONVERTED + CONTACT does not get crm_deal_created for a CONTACT, nor
# another identifier; it gets its own.
before=$(ls "$work/dump" | grep -c '\.body$')
AUTH="x-api-key: pk_live1"
req POST /events '{"id":"evt_rd0","type":"crm_deal_created","entity":"CONTACT","identifier":"form-1"}' >/dev/null
req POST /events '{"id":"evt_rd1","type":"WEBHOOK.CONVERTED","entity":"CONTACT","identifier":"form-2"}' >/dev/null
check "rdstation: its event" "$(req POST /events '{"id":"evt_rd2","type":"WEBHOOK.CONVERTED","entity":"CONTACT","identifier":"form-1","data":{"email":"a@b.c"}}')" 202
wait_files "$work/dump" $((before + 1)) || echo "FAIL: rdstation delivery did not arrive"
sleep 0.3
check "rdstation: only the matching event delivered" "$(grep -c 'evt_rd' "$work/recv")" 1
check "rdstation: that one" "$(grep -c 'WEBHOOK.CONVERTED evt_rd2' "$work/recv")" 1

# ---- cross-profile: created through rdstation, read through native and whautochat ----
check "cross: native reads the rdstation webhook" "$(req GET /webhooks/$RD)" 200
check "cross: with every field" "$(jq_ '(d["events"], d["entity"], d["filters"]["eventIdentifiers"], d["includeRelations"], d["method"])')" "(['WEBHOOK.CONVERTED'], 'CONTACT', ['form-1'], ['COMPANY', 'CONTACT_FUNNEL'], 'POST')"
check "cross: whautochat lists it" "$(req GET /wa/v1/webhooks)" 200
check "cross: as a whautochat webhook" "$(jq_ '[(w["id"], w["serverUrl"], w["active"], w["events"]) for w in d if w["id"] == "'$RD'"]')" "[('$RD', 'http://127.0.0.1:$RECV/rd', True, ['WEBHOOK.CONVERTED'])]"
check "rdstation: delete" "$(AUTH="Authorization: Bearer pk_live1" req DELETE /rd/integrations/webhooks/$RD)" 204

# ---- whautochat (seed 004): x-api-key, paging, bare arrays, delete {"success":true} ----
AUTH="x-api-key: pk_live1"
for i in 1 2 3; do
    check "whautochat: create $i answers 200" "$(req POST /wa/v1/webhooks "{\"name\":\"wa$i\",\"serverUrl\":\"https://example.com/wa$i\",\"active\":true,\"events\":[\"incoming_whatsapp_message\",\"contact_tag_added\"]}")" 200
done
check "whautochat: the Webhook object" "$(jq_ 'sorted(d.keys())')" "['active', 'createdAt', 'events', 'id', 'name', 'serverUrl', 'updatedAt']"
WA=$(jq_ 'd["id"]')
check "whautochat: list page 1 of 2" "$(req GET '/wa/v1/webhooks?limit=2&page=1')" 200
check "whautochat: a bare array of 2" "$(jq_ '(type(d).__name__, len(d))')" "('list', 2)"
req GET '/wa/v1/webhooks?limit=2&page=2' >/dev/null
check "whautochat: page 2 has the rest" "$(jq_ 'len(d)')" 2
check "whautochat: a bad limit" "$(req GET '/wa/v1/webhooks?limit=x')" 400
check "whautochat: unknown event" "$(req POST /wa/v1/webhooks '{"name":"x","serverUrl":"https://example.com/x","events":["sms_sent"]}')" 400
check "whautochat: update" "$(req PUT /wa/v1/webhooks/$WA '{"name":"renamed","active":false}')" 200
check "whautochat: update answers the object" "$(jq_ '(d["name"], d["active"])')" "('renamed', False)"
check "whautochat: no GET by id" "$(req GET /wa/v1/webhooks/$WA)" 405
check "whautochat: delete" "$(req DELETE /wa/v1/webhooks/$WA)" 200
check "whautochat: delete answers success" "$(cat "$work/body")" '{"success":true}'
check "whautochat: Bearer is not its credential" "$(AUTH="Authorization: Bearer pk_live1" req GET /wa/v1/webhooks)" 401

echo "$fails failures"
[ "$fails" -eq 0 ]
