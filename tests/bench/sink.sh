#!/usr/bin/env bash
# A throwaway nginx on 127.0.0.1 answering 204 to everything: the sink the delivery benchmarks
# post to.   sink.sh start DIR  -> prints the sink's URL;   sink.sh stop DIR
set -euo pipefail
cmd=$1 dir=$2
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
case "$cmd" in
start)
    mkdir -p "$dir"
    for port in $(seq 18080 18180); do
        cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_buffer_size 64k;
    server {
        listen 127.0.0.1:$port;
        location / { return 204; }
    }
}
CONF
        if "$nginx_bin" -c "$dir/nginx.conf" -p "$dir" 2>/dev/null; then
            echo "http://127.0.0.1:$port/"
            exit 0
        fi
    done
    echo "sink: nginx could not start on 127.0.0.1:18080-18180" >&2
    exit 1
    ;;
stop)
    if [ -f "$dir/nginx.pid" ]; then
        kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [ -f "$dir/nginx.pid" ] || break; sleep 0.1; done
    fi
    rm -rf "$dir"
    ;;
esac
