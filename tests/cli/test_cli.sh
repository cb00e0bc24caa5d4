#!/usr/bin/env bash
# Runs the `webhooks` binary for real: help and usage errors, the published known answers,
# sign -> verify round trips per scheme, byte-exact bodies from FILE and standard input, and
# verification failures. Usage: test_cli.sh PATH_TO_WEBHOOKS
set -uo pipefail
WH=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect CODE DESCRIPTION -- COMMAND...: run it, keep stdout/stderr in $out/$err, check the code.
expect() {
    local want=$1 what=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    out=$(cat "$tmp/out") err=$(cat "$tmp/err")
    if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got, want $want (stderr: $err)"; fi
}
contains() { # HAYSTACK NEEDLE DESCRIPTION
    if [[ "$1" == *"$2"* ]]; then ok; else bad "$3: '$1' lacks '$2'"; fi
}
equals() { # GOT WANT DESCRIPTION
    if [ "$1" == "$2" ]; then ok; else bad "$3: got '$1', want '$2'"; fi
}

STD_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
STD_ID=msg_p5jXN8AQM9LWM0D4loKWxJek
GH_SECRET="It's a Secret to Everybody"

# ---- help and usage errors ----
expect 0 "--help" -- "$WH" --help
contains "$out" "sign" "--help lists sign"
contains "$out" "verify" "--help lists verify"
expect 0 "-h" -- "$WH" -h
expect 0 "sign --help" -- "$WH" sign --help
contains "$out" "--timestamp UNIX" "sign --help"
expect 0 "verify --help" -- "$WH" verify --help
contains "$out" "--tolerance" "verify --help"
expect 0 "help verify" -- "$WH" help verify
contains "$out" "--header" "help verify"
expect 0 "--version" -- "$WH" --version
expect 2 "no arguments" -- "$WH"
contains "$err" "Usage" "no arguments prints usage"
expect 2 "unknown command" -- "$WH" frobnicate
contains "$err" "unknown command 'frobnicate'" "unknown command message"
expect 2 "unknown option" -- "$WH" sign --secret x --bogus
contains "$err" "unknown option '--bogus'" "unknown option message"
expect 2 "missing secret" -- "$WH" sign /dev/null
contains "$err" "--secret is required" "missing secret message"
expect 2 "option without value" -- "$WH" sign --secret
contains "$err" "needs a value" "option without value message"
expect 2 "bad scheme" -- "$WH" sign --scheme md5 --secret x /dev/null
contains "$err" "--scheme must be standard, github or stripe" "bad scheme message"
expect 2 "bad timestamp" -- "$WH" sign --secret "$STD_SECRET" --timestamp 12abc /dev/null
contains "$err" "--timestamp must be an integer" "bad timestamp message"
expect 2 "negative timestamp" -- "$WH" sign --secret "$STD_SECRET" --timestamp -5 /dev/null
expect 2 "two files" -- "$WH" sign --secret "$STD_SECRET" /dev/null /dev/null
expect 2 "missing file" -- "$WH" sign --secret "$STD_SECRET" "$tmp/no-such-file"
contains "$err" "cannot open" "missing file message"
expect 2 "standard secret not base64" -- "$WH" sign --secret 'whsec_***' /dev/null
contains "$err" "secret 0" "bad secret message"
expect 2 "bad id" -- "$WH" sign --secret "$STD_SECRET" --id "" /dev/null
expect 2 "verify without header" -- "$WH" verify --secret "$STD_SECRET" /dev/null
contains "$err" "--header or --headers-file is required" "verify without header message"
expect 2 "header without colon" -- "$WH" verify --secret x --header nocolon /dev/null
contains "$err" "'Name: value'" "header without colon message"
expect 2 "header without name" -- "$WH" verify --secret x --header ': v' /dev/null
expect 2 "bad tolerance" -- "$WH" verify --secret x --header 'a: b' --tolerance 0 /dev/null
expect 2 "bad now" -- "$WH" verify --secret x --header 'a: b' --now yesterday /dev/null
# --headers-file: the headers a receiver saved, one per line, CRLF or LF, blank lines skipped.
printf '%s' '{"a":1}' >"$tmp/hf.body"
"$WH" sign --secret "$STD_SECRET" --id msg_hf --timestamp 1700000000 "$tmp/hf.body" >"$tmp/hf.lf"
sed 's/$/\r/' "$tmp/hf.lf" >"$tmp/hf.crlf"
printf '\nHost: x\n\n' >>"$tmp/hf.crlf"
for f in hf.lf hf.crlf; do
    expect 0 "--headers-file $f" -- "$WH" verify --secret "$STD_SECRET" --now 1700000000 --headers-file "$tmp/$f" "$tmp/hf.body"
    equals "$out" "valid" "--headers-file $f says valid"
done
expect 1 "--headers-file with another body" -- "$WH" verify --secret "$STD_SECRET" --now 1700000000 --headers-file "$tmp/hf.lf" /dev/null
printf 'a: b\0c\n' >"$tmp/hf.nul"
expect 2 "--headers-file with a NUL byte" -- "$WH" verify --secret x --headers-file "$tmp/hf.nul" /dev/null
contains "$err" "holds a NUL byte" "--headers-file NUL message"
seq 1 1100 | sed 's/^/h: /' >"$tmp/hf.many"
expect 2 "--headers-file with 1100 headers" -- "$WH" verify --secret x --headers-file "$tmp/hf.many" /dev/null
contains "$err" "more than 1024 headers" "--headers-file count message"
expect 2 "--headers-file missing" -- "$WH" verify --secret x --headers-file "$tmp/none" /dev/null
contains "$err" "cannot open" "--headers-file missing message"
expect 2 "flag=value form checked too" -- "$WH" sign --scheme=nope --secret=x /dev/null

# ---- known answers ----
printf '%s' '{"test": 2432232314}' >"$tmp/std.json"
expect 0 "standard vector" -- "$WH" sign --secret "$STD_SECRET" --id "$STD_ID" --timestamp 1614265330 "$tmp/std.json"
equals "$out" "webhook-id: $STD_ID
webhook-timestamp: 1614265330
webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" "standard vector headers"
expect 0 "standard vector verifies" -- "$WH" verify --secret "$STD_SECRET" --now 1614265400 \
    --header "webhook-id: $STD_ID" --header 'Webhook-Timestamp: 1614265330' \
    --header 'webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' "$tmp/std.json"
equals "$out" "valid" "standard vector verify output"

printf '%s' 'Hello, World!' >"$tmp/gh.txt"
expect 0 "github vector" -- "$WH" sign --scheme github --secret "$GH_SECRET" "$tmp/gh.txt"
equals "$out" "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" "github vector header"
expect 0 "github vector verifies" -- "$WH" verify --scheme github --secret "$GH_SECRET" \
    --header "X-Hub-Signature-256: $(cut -d' ' -f2 <<<"$out")" "$tmp/gh.txt"
equals "$out" "valid" "github vector verify output"

# Hand-derived (see tests/unit/test_sign.c): HMAC-SHA256(key = whole secret, "t.body").
printf '%s' '{"id":"evt_test_webhook","object":"event"}' >"$tmp/st.json"
ST_HEADER='t=1614265330,v1=7d89f21b36f902d6c7b971e3eed605afe431322307fd72ded522a0758bd2daab'
expect 0 "stripe vector" -- "$WH" sign --scheme stripe --secret "$STD_SECRET" --timestamp 1614265330 "$tmp/st.json"
equals "$out" "Stripe-Signature: $ST_HEADER" "stripe vector header"
expect 0 "stripe vector verifies" -- "$WH" verify --scheme stripe --secret "$STD_SECRET" \
    --now 1614265330 --header "stripe-signature: $ST_HEADER" "$tmp/st.json"
equals "$out" "valid" "stripe vector verify output"

# ---- round trips with default id and timestamp, body from standard input ----
# headers_args FILE: turn `sign` output lines into --header arguments (in the array hargs).
headers_args() {
    hargs=()
    while IFS= read -r line; do hargs+=(--header "$line"); done <"$1"
}
printf '{"type":"order.created","data":{"id":42}}' >"$tmp/body.json"
for scheme in standard github stripe; do
    secret=$STD_SECRET
    [ "$scheme" = github ] && secret=$GH_SECRET
    expect 0 "$scheme sign from stdin" -- "$WH" sign --scheme "$scheme" --secret "$secret" <"$tmp/body.json"
    cp "$tmp/out" "$tmp/h.$scheme"
    headers_args "$tmp/h.$scheme"
    expect 0 "$scheme round trip" -- "$WH" verify --scheme "$scheme" --secret "$secret" "${hargs[@]}" "$tmp/body.json"
    equals "$out" "valid" "$scheme round trip output"
    expect 0 "$scheme round trip via stdin and '-'" -- "$WH" verify --scheme "$scheme" --secret "$secret" "${hargs[@]}" - <"$tmp/body.json"
    wrong="${secret}x"
    [ "$scheme" = standard ] && wrong=whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQgb2YgMzIgYnl0ZXM=
    expect 1 "$scheme wrong secret" -- "$WH" verify --scheme "$scheme" --secret "$wrong" "${hargs[@]}" "$tmp/body.json"
    contains "$out" "invalid: signature mismatch" "$scheme wrong secret output"
    printf '{"type":"order.created","data":{"id":43}}' >"$tmp/tampered.json"
    expect 1 "$scheme tampered body" -- "$WH" verify --scheme "$scheme" --secret "$secret" "${hargs[@]}" "$tmp/tampered.json"
done
grep -q '^webhook-id: msg_[A-Za-z0-9]\{24\}$' "$tmp/h.standard" && ok || bad "default id is a msg_ id"
ts=$(sed -n 's/^webhook-timestamp: //p' "$tmp/h.standard")
now=$(date +%s)
if [ $((now - ts)) -ge 0 ] && [ $((now - ts)) -le 60 ]; then ok; else bad "default timestamp $ts is not now ($now)"; fi

# ---- several secrets: one signature each; any of them verifies ----
SECOND=whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQgb2YgMzIgYnl0ZXM=
expect 0 "two secrets" -- "$WH" sign --secret "$STD_SECRET" --secret "$SECOND" "$tmp/body.json"
sig=$(sed -n 's/^webhook-signature: //p' "$tmp/out")
equals "$(wc -w <<<"$sig" | tr -d ' ')" "2" "two signatures"
headers_args "$tmp/out"
expect 0 "second secret alone verifies" -- "$WH" verify --secret "$SECOND" "${hargs[@]}" "$tmp/body.json"

# ---- bytes exactly as given: no newline added or removed, NUL bytes kept ----
printf 'no trailing newline' >"$tmp/nonl"
expect 0 "file" -- "$WH" sign --secret "$STD_SECRET" --id msg_1 --timestamp 1700000000 "$tmp/nonl"
from_file=$out
expect 0 "stdin" -- "$WH" sign --secret "$STD_SECRET" --id msg_1 --timestamp 1700000000 <"$tmp/nonl"
equals "$out" "$from_file" "FILE and stdin sign the same bytes"
headers_args "$tmp/out"
printf 'no trailing newline\n' >"$tmp/nl"
expect 1 "an added newline is a different body" -- "$WH" verify --secret "$STD_SECRET" --now 1700000000 "${hargs[@]}" "$tmp/nl"
expect 0 "the exact body verifies" -- "$WH" verify --secret "$STD_SECRET" --now 1700000000 "${hargs[@]}" <"$tmp/nonl"

printf 'a\0b\0\0c\n' >"$tmp/nul.bin"
expect 0 "NUL body from file" -- "$WH" sign --scheme github --secret "$GH_SECRET" "$tmp/nul.bin"
nul_file=$out
expect 0 "NUL body from stdin" -- "$WH" sign --scheme github --secret "$GH_SECRET" <"$tmp/nul.bin"
equals "$out" "$nul_file" "NUL bytes: FILE and stdin agree"
if command -v openssl >/dev/null; then
    want=$(openssl dgst -sha256 -hmac "$GH_SECRET" -r <"$tmp/nul.bin" | cut -d' ' -f1)
    equals "$nul_file" "X-Hub-Signature-256: sha256=$want" "NUL body matches openssl's HMAC"
fi
printf 'a' >"$tmp/nul-cut.bin"
expect 1 "a body cut at its first NUL does not verify" -- "$WH" verify --scheme github --secret "$GH_SECRET" --header "$nul_file" "$tmp/nul-cut.bin"
expect 0 "NUL body verifies" -- "$WH" verify --scheme github --secret "$GH_SECRET" --header "$nul_file" "$tmp/nul.bin"

: >"$tmp/empty"
expect 0 "empty body" -- "$WH" sign --secret "$STD_SECRET" "$tmp/empty"

# ---- verification failures: exit 1 and the reason ----
std_h=(--header "webhook-id: $STD_ID" --header 'webhook-timestamp: 1614265330'
       --header 'webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
expect 1 "stale" -- "$WH" verify --secret "$STD_SECRET" "${std_h[@]}" "$tmp/std.json"
contains "$out" "invalid: signature timestamp too old" "stale reason"
expect 1 "future" -- "$WH" verify --secret "$STD_SECRET" --now 1614260000 "${std_h[@]}" "$tmp/std.json"
contains "$out" "too new" "future reason"
expect 0 "tolerance widens the window" -- "$WH" verify --secret "$STD_SECRET" --now 1614275330 --tolerance 10000 "${std_h[@]}" "$tmp/std.json"
expect 1 "missing header" -- "$WH" verify --secret "$STD_SECRET" --now 1614265330 --header "webhook-id: $STD_ID" "$tmp/std.json"
contains "$out" "webhook-timestamp header is missing" "missing reason"
expect 1 "malformed header" -- "$WH" verify --secret "$STD_SECRET" --now 1614265330 --header "webhook-id: $STD_ID" \
    --header 'webhook-timestamp: 1614265330' --header 'webhook-signature: g0hM9SsE' "$tmp/std.json"
contains "$out" "signature header malformed" "malformed reason"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
