#!/usr/bin/env bash
# Instructions per scan, counted by callgrind (they do not swing with the disk, as fsync
# times do): the daemon serving SCANS sequential scans over HTTP, minus the same daemon
# serving none. `synchronous = normal`, so the count is the CPU work of a scan.
#
#   bench/scan-instructions.sh BINARY [SCANS]     # e.g. .build/release/stockroom 1000
#
# The binary is stripped into a temporary copy first (valgrind cannot read the debug
# information of the static-stdlib build). Needs valgrind (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$1 SCANS=${2:-1000}
command -v valgrind >/dev/null || ./packaging/install-deps.sh valgrind
WORK=$(mktemp -d /tmp/stockroom-instructions.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
strip -o "$WORK/stockroom" "$BIN"

total() { # scans -> instructions of the whole daemon run
    local data="$WORK/data-$1" port=$((18950 + $1 % 7))
    "$WORK/stockroom" import catalog fixtures/catalog-10k.csv --data "$data" >/dev/null
    valgrind --tool=callgrind --callgrind-out-file="$data/cg.out" "$WORK/stockroom" serve --data "$data" \
        --listen "127.0.0.1:$port" --synchronous normal --log-level warning >"$data/log" 2>&1 &
    local pid=$!
    for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    python3 - "$port" "$data/credentials.json" "$1" <<'PY'
import csv, http.client, json, sys
port, credentials, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
token = json.load(open(credentials))["scanner"]
rows = list(csv.reader(open("fixtures/catalog-10k.csv")))[1:]
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
for i in range(n):
    row = rows[(i * 7919) % len(rows)]
    body = json.dumps({"id": "i-%d" % i, "code": row[5] or row[0], "qty": 1, "reason": "sale", "device": "g"})
    connection.request("POST", "/v1/scans", body, headers)
    reply = connection.getresponse()
    reply.read()
    assert reply.status == 201, reply.status
PY
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    grep -E "^(summary|totals):" "$data/cg.out" | head -1 | awk '{print $2}'
}

idle=$(total 0)
busy=$(total "$SCANS")
echo "instructions per scan: $(( (busy - idle) / SCANS )) (daemon with $SCANS scans: $busy, with none: $idle)"
