#!/usr/bin/env bash
# The HTTP floor: nginx (Debian's nginx-light) answering every request with a fixed small
# JSON body on loopback, no disk. The same wrk scripts drive it as drive Stockroom.
#
#   nginx.sh start DIR PORT
#   nginx.sh stop DIR
set -euo pipefail
cmd=$1 dir=$2
case $cmd in
start)
    port=$3
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    client_max_body_size 4m;
    server {
        listen 127.0.0.1:$port reuseport;
        location / {
            default_type application/json;
            return 200 '{"sku":"BEV-000001","location":"main","quantity":41,"replayed":false}';
        }
    }
}
CONF
    nginx -c "$dir/nginx.conf" -p "$dir"
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && exit 0; sleep 0.1; done
    echo "nginx did not start; see $dir/error.log" >&2; exit 1
    ;;
stop)
    [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    ;;
*) echo "usage: nginx.sh start|stop DIR ..." >&2; exit 2 ;;
esac
