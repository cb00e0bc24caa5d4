#!/usr/bin/env bash
# Run a test program beside a throwaway nginx on 127.0.0.1 (tests/support/nginx_sink.sh),
# always stopped afterwards, whatever the program does.
#
#   with_nginx.sh tls PROGRAM [ARGS...]
#
# The program finds the sink in its environment: WH_NGINX_H1_URL (HTTPS, HTTP/1.1 only),
# WH_NGINX_H2_URL (HTTPS with HTTP/2), WH_NGINX_CA (the CA file to trust) and WH_NGINX_DIR
# (access-h1.log and access-h2.log, one line per request). Exits with the program's status,
# or 77 (ctest: skipped) when nginx or openssl is missing (make deps installs both).
set -uo pipefail
mode=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] || ! command -v openssl >/dev/null; then
    echo "SKIP: nginx and openssl are needed (make deps installs them)"
    exit 77
fi
[ "$mode" = tls ] || { echo "with_nginx.sh: unknown mode $mode" >&2; exit 2; }
dir=$(mktemp -d)/sink
trap '"$here/nginx_sink.sh" stop "$dir"; rmdir "$(dirname "$dir")" 2>/dev/null' EXIT
urls=$("$here/nginx_sink.sh" start-tls "$dir") || exit 1
read -r WH_NGINX_H1_URL WH_NGINX_H2_URL <<<"$urls"
export WH_NGINX_H1_URL WH_NGINX_H2_URL WH_NGINX_CA=$dir/ca.pem WH_NGINX_DIR=$dir
"$@"
