#!/usr/bin/env bash
# Two builds' dashboard pages on the same 1,000,000-item data folder, alternating, at 1
# and 16 sessions (how issue #15's search change was measured):
#
#   bench/web-compare.sh OLD_BIN NEW_BIN [PATHS] [ROUNDS] [SECONDS]
#
# PATHS is a |-separated list (default: the four searches of bench/web.sh). Needs the
# cached node of SCENARIOS=scale bench/run.sh (bench/.cache/catalog-1m-seed7).
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1 NEW=$2
PATHS=${3:-"/inventory?q=tea|/inventory?q=juice|/inventory?q=5901|/inventory?q=bread"}
ROUNDS=${4:-3} SECONDS_PER_RUN=${5:-10}
CACHE=bench/.cache/catalog-1m-seed7
[ -f "$CACHE/data/stockroom.sqlite" ] || { echo "no $CACHE: run SCENARIOS=scale bench/run.sh once" >&2; exit 1; }
WORK=$(mktemp -d /tmp/stockroom-web-compare-XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
cp -r "$CACHE/data" "$WORK/d"
rm -f "$WORK/d/LOCK"
echo "bench-password-1" | "$NEW" user create bench --role admin --data "$WORK/d" --password-stdin >/dev/null
PORT=18197
for round in $(seq "$ROUNDS"); do
    for side in old new; do
        bin=$OLD; [ "$side" = new ] && bin=$NEW
        "$bin" serve --data "$WORK/d" --listen "127.0.0.1:$PORT" --log-level warning --forecast-every 0 >"$WORK/$side.log" 2>&1 &
        PID=$!
        for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
        jar="$WORK/jar"; rm -f "$jar"
        token=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/signin" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p')
        curl -s -o /dev/null -c "$jar" -b "$jar" -H "Origin: http://127.0.0.1:$PORT" --data-urlencode "_csrf=$token" \
            --data-urlencode "name=bench" --data-urlencode "password=bench-password-1" "http://127.0.0.1:$PORT/signin"
        cookie=$(awk '$6 == "stockroom_session" {print $6 "=" $7}' "$jar")
        wrk -t1 -c1 -d3s -s bench/page.lua "http://127.0.0.1:$PORT" -- "$cookie" "$PATHS" >/dev/null  # warm
        for connections in 1 16; do
            line=$(wrk -t"$([ "$connections" -gt 1 ] && echo 2 || echo 1)" -c"$connections" -d"${SECONDS_PER_RUN}s" \
                --timeout 5s -s bench/page.lua "http://127.0.0.1:$PORT" -- "$cookie" "$PATHS" | sed -n 's/^RESULT //p')
            echo "{\"round\":$round,\"side\":\"$side\",\"connections\":$connections,\"result\":$line}" >>"$WORK/raw"
        done
        kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    done
done
python3 - "$WORK/raw" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'side':<5} {'conns':>5} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7}")
for connections in (1, 16):
    for side in ("old", "new"):
        rs = [r["result"] for r in rows if r["side"] == side and r["connections"] == connections]
        p50 = statistics.median(r["p50_us"] for r in rs) / 1000
        p99 = statistics.median(r["p99_us"] for r in rs) / 1000
        rate = statistics.median(r["requests"] / (r["duration_us"] / 1e6) for r in rs)
        print(f"{side:<5} {connections:>5} {p50:>8.1f} {p99:>8.1f} {rate:>7.1f}")
PY
