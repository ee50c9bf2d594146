#!/usr/bin/env bash
# Issue #15's figures (bench/run.sh runs this for SCENARIOS=web): server time of the
# dashboard's pages at 1 and 16 concurrent sessions, with the 10,000-item sample (and 60
# days of its history) and with 1,000,000 items; and the scan path (1 and 64 scanners)
# with and without a dashboard session polling beside it, in the same run.
#
#   bench/web.sh BIN WORK ROUNDS SECONDS    (bench/run.sh passes these)
# Writes bench/results/web.json and prints a table. wrk measures on loopback, so its
# latency is the server's time plus a few tens of microseconds of loopback.
set -euo pipefail
BIN=$1 WORK=$2 ROUNDS=$3 SECONDS_PER_RUN=$4
RAW="$WORK/web.jsonl"
: >"$RAW"
PIDS=()
trap 'for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT

start() { # dir port
    "$BIN" serve --data "$1" --listen "127.0.0.1:$2" --log-level warning --forecast-every 0 >"$1.log" 2>&1 &
    PIDS+=("$!")
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && break; sleep 0.1; done
}

sign_in() { # port -> "stockroom_session=…"
    local jar="$WORK/jar-$1" token
    rm -f "$jar"
    token=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$1/signin" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p')
    curl -s -o /dev/null -c "$jar" -b "$jar" -H "Origin: http://127.0.0.1:$1" --data-urlencode "_csrf=$token" \
        --data-urlencode "name=bench" --data-urlencode "password=bench-password-1" "http://127.0.0.1:$1/signin"
    awk '$6 == "stockroom_session" {print $6 "=" $7}' "$jar"
}

wrk_run() { # script port connections label args…: one run, one line of $RAW
    local script=$1 port=$2 connections=$3 label=$4 line
    shift 4
    line=$(wrk -t"$([ "$connections" -gt 1 ] && echo 2 || echo 1)" -c"$connections" -d"${SECONDS_PER_RUN}s" \
        --timeout 5s -s "$script" "http://127.0.0.1:$port" -- "$@" | sed -n 's/^RESULT //p')
    echo "{\"label\":\"$label\",\"connections\":$connections,\"result\":$line}" >>"$RAW"
    echo "  $label x$connections: $line"
}
page_run() { wrk_run bench/page.lua "$1" "$2" "$5" "$3" "$4"; }                 # port connections cookie paths label
scan_run() { wrk_run bench/scan.lua "$1" "$2" "$5" "$3" "$4" "$5-$RANDOM"; }     # port connections token codes label

prepare() { # dir catalog [history]
    "$BIN" import catalog "$2" --data "$1" --node store-1 >/dev/null
    [ -z "${3:-}" ] || "$BIN" import history "$3" --data "$1" --quiet
    echo "bench-password-1" | "$BIN" user create bench --role admin --data "$1" --password-stdin >/dev/null
}

echo "== web: dashboard pages (10,000 and 1,000,000 items) and scans beside a polling session"
python3 fixtures/generate_history.py --days 60 --scale 0.3 --location store-1 >"$WORK/web-history.csv"
prepare "$WORK/web10k" fixtures/catalog-10k.csv "$WORK/web-history.csv"
start "$WORK/web10k" 18191
COOKIE=$(sign_in 18191)
SKUS=$(python3 -c 'import csv,sys; r=csv.reader(open("fixtures/catalog-10k.csv")); next(r); print("|".join("/items/"+x[0] for i,x in enumerate(r) if i % 97 == 0))')
declare -A PAGES=(
    [overview]="/"
    [inventory]="/inventory"
    [search]="/inventory?q=tea|/inventory?q=juice|/inventory?q=5901|/inventory?q=bread"
    [item]="$SKUS"
)
for name in overview inventory search item; do page_run 18191 1 "$COOKIE" "${PAGES[$name]}" "warm-$name" >/dev/null; done
for round in $(seq "$ROUNDS"); do
    for name in overview inventory search item; do
        for connections in 1 16; do page_run 18191 "$connections" "$COOKIE" "${PAGES[$name]}" "10k-$name"; done
    done
done

# The scan path with a dashboard session polling beside it (the sync badge every 5 s and
# the overview every 30 s, as an open browser tab does), against the same node without one.
TOKEN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scanner'])" "$WORK/web10k/credentials.json")
python3 -c 'import csv,sys; r=csv.reader(open("fixtures/catalog-10k.csv")); next(r); print("\n".join(x[5] or x[0] for x in r))' >"$WORK/web-codes"
poll() {
    local n=0
    while true; do
        curl -s -o /dev/null -H "Cookie: $COOKIE" -H "HX-Request: true" http://127.0.0.1:18191/partials/sync-badge
        [ $((n % 6)) -eq 0 ] && curl -s -o /dev/null -H "Cookie: $COOKIE" http://127.0.0.1:18191/
        n=$((n + 1))
        sleep 5
    done
}
scan_run 18191 1 "$TOKEN" "$WORK/web-codes" warm >/dev/null
for round in $(seq "$ROUNDS"); do
    for connections in 1 64; do
        scan_run 18191 "$connections" "$TOKEN" "$WORK/web-codes" "scan-alone"
        poll &
        POLLER=$!
        scan_run 18191 "$connections" "$TOKEN" "$WORK/web-codes" "scan-polled"
        kill "$POLLER"; wait "$POLLER" 2>/dev/null || true
    done
done

CACHE=bench/.cache/catalog-1m-seed7
if [ -f "$CACHE/data/stockroom.sqlite" ]; then
    cp -r "$CACHE/data" "$WORK/web1m"
    rm -f "$WORK/web1m/LOCK" "$WORK/web1m/"*.lock 2>/dev/null || true
    echo "bench-password-1" | "$BIN" user create bench --role admin --data "$WORK/web1m" --password-stdin >/dev/null
    start "$WORK/web1m" 18192
    COOKIE1M=$(sign_in 18192)
    SKUS1M=$(python3 -c 'import csv,sys; r=csv.reader(open(sys.argv[1])); next(r); print("|".join("/items/"+x[0] for i,x in enumerate(r) if i % 9973 == 0))' "$CACHE/catalog.csv")
    PAGES[item]="$SKUS1M"
    for name in overview inventory search item; do page_run 18192 1 "$COOKIE1M" "${PAGES[$name]}" "warm-$name" >/dev/null; done
    for round in $(seq "$ROUNDS"); do
        for name in overview inventory search item; do
            for connections in 1 16; do page_run 18192 "$connections" "$COOKIE1M" "${PAGES[$name]}" "1m-$name"; done
        done
    done
else
    echo "  (no 1,000,000-item node in $CACHE: run SCENARIOS=scale bench/run.sh once to make it)"
fi

mkdir -p bench/results
python3 - "$RAW" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if not json.loads(l)["label"].startswith("warm")]
groups = {}
for row in rows:
    groups.setdefault((row["label"], row["connections"]), []).append(row["result"])
out = {}
print(f"{'run':<22} {'conns':>5} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'non2xx':>6}")
for (label, connections), results in sorted(groups.items()):
    p50 = statistics.median(r["p50_us"] for r in results) / 1000
    p99 = statistics.median(r["p99_us"] for r in results) / 1000
    rate = statistics.median(r["requests"] / (r["duration_us"] / 1e6) for r in results)
    bad = sum(r["non2xx"] + r["socket_errors"] for r in results)
    out[f"{label}@{connections}"] = {"p50_ms": p50, "p99_ms": p99, "per_second": rate, "errors": bad, "n": len(results)}
    print(f"{label:<22} {connections:>5} {p50:>8.2f} {p99:>8.2f} {rate:>8.0f} {bad:>6}")
for connections in (1, 64):
    alone = out.get(f"scan-alone@{connections}")
    polled = out.get(f"scan-polled@{connections}")
    if alone and polled:
        print(f"scan with a polling dashboard, {connections} scanner(s): p50 ratio {polled['p50_ms'] / alone['p50_ms']:.3f}, "
              f"throughput ratio {polled['per_second'] / alone['per_second']:.3f}")
json.dump(out, open("bench/results/web.json", "w"), indent=1)
PY
