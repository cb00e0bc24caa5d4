#!/usr/bin/env bash
# A throwaway nginx on 127.0.0.1 answering 204 to everything: the receiver the delivery
# benchmarks and the TLS tests post to. Always stop it (a trap) when done.
#
#   nginx_sink.sh start DIR       plain HTTP; prints the sink's URL
#   nginx_sink.sh start-tls DIR   HTTPS with a certificate for 127.0.0.1 made here (its CA in
#                                 DIR/ca.pem); prints two URLs: HTTP/1.1 only, then HTTP/2.
#                                 Each logs one line per request to DIR/access-h1.log and
#                                 DIR/access-h2.log ("METHOD URI STATUS PROTOCOL"). Below
#                                 /read/ both read the whole body before answering (they pass
#                                 the request to a third server, plain HTTP on the next port),
#                                 as an application does; elsewhere they answer at once, unread.
#   nginx_sink.sh stop DIR        stops it and removes DIR
#
# Ports are tried from a random start in 20000-29999, so parallel runs do not collide.
set -euo pipefail
cmd=$1 dir=$2
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

# A self-signed certificate for IP 127.0.0.1 that is its own CA (ca.pem = the certificate).
make_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
    cp "$dir/cert.pem" "$dir/ca.pem"
}

# The nginx.conf with the server blocks given.
write_conf() {
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    log_format line '\$request_method \$request_uri \$status \$server_protocol';
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    http2_max_requests 1000000;
    client_body_buffer_size 64k;
$1
}
CONF
}

start_plain() { # port
    write_conf "    server { listen 127.0.0.1:$1; location / { return 204; } }"
    "$nginx_bin" -c "$dir/nginx.conf" -p "$dir" 2>/dev/null && echo "http://127.0.0.1:$1/"
}

start_tls() { # port (h1), port+1 (h2) and port+2 (the upstream of /read/)
    local read="location /read/ { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection \"\"; }"
    local tls="ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem; location / { return 204; } $read"
    write_conf "    upstream up { server 127.0.0.1:$(($1 + 2)); keepalive 16; }
    server { listen 127.0.0.1:$(($1 + 2)); location / { return 204; } }
    server { listen 127.0.0.1:$1 ssl; access_log $dir/access-h1.log line; $tls }
    server { listen 127.0.0.1:$(($1 + 1)) ssl http2; access_log $dir/access-h2.log line; $tls }"
    "$nginx_bin" -c "$dir/nginx.conf" -p "$dir" 2>/dev/null &&
        echo "https://127.0.0.1:$1/ https://127.0.0.1:$(($1 + 1))/"
}

case "$cmd" in
start | start-tls)
    mkdir -p "$dir"
    [ "$cmd" = start ] || make_cert
    base=$((20000 + RANDOM % 9000))
    for port in $(seq "$base" 3 $((base + 300))); do
        if [ "$cmd" = start ]; then start_plain "$port" && exit 0; else start_tls "$port" && exit 0; fi
    done
    echo "nginx_sink: nginx could not start on 127.0.0.1 (ports $base-$((base + 300)))" >&2
    exit 1
    ;;
stop)
    if [ -f "$dir/nginx.pid" ]; then
        kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [ -f "$dir/nginx.pid" ] || break; sleep 0.1; done
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: nginx_sink.sh start|start-tls|stop DIR" >&2
    exit 2
    ;;
esac
