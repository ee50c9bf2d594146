#!/usr/bin/env bash
# Scan benchmarks of issue #2, against the release binary on loopback with the 10k fixture.
#
#   bench/scan-bench.sh [ROUNDS] [SECONDS]
#
# For each round: one sequential scanner (wrk -t1 -c1) and 64 concurrent scanners
# (wrk -t2 -c64), durable (synchronous=FULL). Prints each round and the medians, and the
# daemon's idle RSS with the catalogue loaded. Results also go to bench/results/scan.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
SECONDS_PER_RUN=${2:-10}
BIN=.build/release/stockroom
PORT=${PORT:-18181}
command -v wrk >/dev/null || ./packaging/install-deps.sh wrk
[ -x "$BIN" ] || swift build -c release --product stockroom

WORK=$(mktemp -d /tmp/stockroom-bench-XXXXXX)
trap 'kill $(cat "$WORK/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$BIN" import catalog fixtures/catalog-10k.csv --data "$WORK/data" >/dev/null
"$BIN" serve --data "$WORK/data" --listen 127.0.0.1:$PORT --log-level warning >"$WORK/serve.log" 2>&1 &
echo $! >"$WORK/pid"
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.1; done
TOKEN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scanner'])" "$WORK/data/credentials.json")
tail -n +2 fixtures/catalog-10k.csv | cut -d, -f1 >"$WORK/codes"   # SKUs work as codes too
python3 - "$WORK/codes" <<'PY'
import csv, sys
rows = list(csv.reader(open("fixtures/catalog-10k.csv")))[1:]
open(sys.argv[1], "w").write("\n".join(r[5] or r[0] for r in rows) + "\n")
PY

sleep 2
IDLE_RSS_KB=$(awk '/VmRSS/ {print $2}' /proc/$(cat "$WORK/pid")/status)

run() { # name threads connections round
    wrk -t"$2" -c"$3" -d"${SECONDS_PER_RUN}s" --timeout 5s -s bench/scan.lua "http://127.0.0.1:$PORT" \
        -- "$TOKEN" "$WORK/codes" "$1-$4-$RANDOM" | sed -n 's/^RESULT //p'
}
: >"$WORK/results"
for round in $(seq "$ROUNDS"); do
    echo "{\"scenario\":\"single\",\"round\":$round,\"result\":$(run single 1 1 "$round")}" | tee -a "$WORK/results"
    echo "{\"scenario\":\"c64\",\"round\":$round,\"result\":$(run c64 2 64 "$round")}" | tee -a "$WORK/results"
done
PEAK_RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$(cat "$WORK/pid")/status)
mkdir -p bench/results
python3 - "$WORK/results" "$IDLE_RSS_KB" "$PEAK_RSS_KB" "$SECONDS_PER_RUN" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
idle_kb, peak_kb, seconds = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = {"idle_rss_mb": round(idle_kb / 1024, 1), "peak_rss_mb": round(peak_kb / 1024, 1), "scenarios": {}}
for name in ("single", "c64"):
    runs = [r["result"] for r in rows if r["scenario"] == name]
    rate = [r["requests"] / (r["duration_us"] / 1e6) for r in runs]
    def med(key): return statistics.median(r[key] for r in runs)
    out["scenarios"][name] = {
        "rounds": len(runs), "scans_per_s_median": round(statistics.median(rate)),
        "scans_per_s_min": round(min(rate)), "scans_per_s_max": round(max(rate)),
        "p50_us_median": med("p50_us"), "p99_us_median": med("p99_us"),
        "p99_us_min": min(r["p99_us"] for r in runs), "p99_us_max": max(r["p99_us"] for r in runs),
        "p999_us_median": med("p999_us"), "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
    }
json.dump(out, open("bench/results/scan.json", "w"), indent=2)
s, c = out["scenarios"]["single"], out["scenarios"]["c64"]
print()
print(f"{'scenario':<34}{'median':>12}{'spread':>22}{'target':>14}")
print(f"{'1 scanner, p99 latency':<34}{s['p99_us_median']/1000:>10.2f}ms{s['p99_us_min']/1000:>10.2f}-{s['p99_us_max']/1000:.2f}ms{'< 2 ms':>14}")
print(f"{'1 scanner, p50 latency':<34}{s['p50_us_median']/1000:>10.2f}ms{'':>22}")
print(f"{'1 scanner, throughput':<34}{s['scans_per_s_median']:>10}/s{s['scans_per_s_min']:>12}-{s['scans_per_s_max']}/s")
print(f"{'64 scanners, throughput':<34}{c['scans_per_s_median']:>10}/s{c['scans_per_s_min']:>12}-{c['scans_per_s_max']}/s{'>= 10000/s':>14}")
print(f"{'64 scanners, p99 latency':<34}{c['p99_us_median']/1000:>10.2f}ms{c['p99_us_min']/1000:>10.2f}-{c['p99_us_max']/1000:.2f}ms{'< 20 ms':>14}")
print(f"{'idle RSS, 10k items loaded':<34}{out['idle_rss_mb']:>10.1f}MB{'':>22}{'< 60 MB':>14}")
print(f"{'non-2xx responses / socket errors':<34}{s['non2xx']+c['non2xx']:>12}{s['socket_errors']+c['socket_errors']:>22}")
PY
