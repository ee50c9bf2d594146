#!/usr/bin/env bash
# Issue #16's backup figure (bench/run.sh runs this for SCENARIOS=backup): the scan path's
# latency with 8 scanners on the 1,000,000-item store (about 1.1 GB), alone and while
# `stockroom backup` runs back to back, alternating in one run. Target: p99 within 2x.
#
#   bench/backup.sh BIN WORK ROUNDS SECONDS    (bench/run.sh passes these)
# Needs the cached node of SCENARIOS=scale (bench/.cache/catalog-1m-seed7).
set -euo pipefail
BIN=$1 WORK=$2 ROUNDS=$3 SECONDS_PER_RUN=$4
CACHE=bench/.cache/catalog-1m-seed7
[ -f "$CACHE/data/stockroom.sqlite" ] || { echo "  (no $CACHE: run SCENARIOS=scale bench/run.sh once)"; exit 0; }
RAW="$WORK/backup.jsonl"
: >"$RAW"
PIDS=()
trap 'for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
DATA="$WORK/backup1m"
cp -r "$CACHE/data" "$DATA"
rm -f "$DATA/LOCK"
PORT=18193
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" --log-level warning --forecast-every 0 --no-web >"$DATA.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scanner'])" "$DATA/credentials.json")
python3 -c 'import csv,sys; r=csv.reader(open(sys.argv[1])); next(r); print("\n".join(x[0] for i,x in zip(range(10000), r)))' \
    "$CACHE/catalog.csv" >"$WORK/backup-codes"

scan_run() { # label
    local line
    line=$(wrk -t2 -c8 -d"${SECONDS_PER_RUN}s" --timeout 5s -s bench/scan.lua "http://127.0.0.1:$PORT" -- \
        "$TOKEN" "$WORK/backup-codes" "$1-$RANDOM" | sed -n 's/^RESULT //p')
    echo "{\"label\":\"$1\",\"result\":$line}" >>"$RAW"
    echo "  $1: $line"
}
backups() { # back to back until stopped; the last one's output kept
    while true; do "$BIN" backup --data "$DATA" --to "$WORK/backups" --keep "${BACKUP_KEEP:-1}" >"$WORK/backup.out" 2>&1 || true; done
}

scan_run warm >/dev/null
SIZE=$(du -m "$DATA/stockroom.sqlite" | cut -f1)
START=$(date +%s.%N)
"$BIN" backup --data "$DATA" --to "$WORK/backups" --keep 1 >"$WORK/backup.out"
ALONE=$(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$START" "$(date +%s.%N)")
echo "  one backup of ${SIZE} MB with no load: ${ALONE} s"
for round in $(seq "$ROUNDS"); do
    scan_run alone
    backups &
    LOOP=$!
    sleep 1
    scan_run during-backup
    kill "$LOOP"; wait "$LOOP" 2>/dev/null || true
    pkill -f "backup --data $DATA" 2>/dev/null || true
done

mkdir -p bench/results
python3 - "$RAW" "$SIZE" "$ALONE" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out = {"database_mb": int(sys.argv[2]), "backup_seconds_idle": float(sys.argv[3])}
for label in ("alone", "during-backup"):
    rs = [r["result"] for r in rows if r["label"] == label]
    out[label] = {"p50_ms": statistics.median(r["p50_us"] for r in rs) / 1000,
                  "p99_ms": statistics.median(r["p99_us"] for r in rs) / 1000,
                  "per_second": statistics.median(r["requests"] / (r["duration_us"] / 1e6) for r in rs),
                  "errors": sum(r["non2xx"] + r["socket_errors"] for r in rs)}
out["p99_ratio"] = out["during-backup"]["p99_ms"] / out["alone"]["p99_ms"]
out["p50_ratio"] = out["during-backup"]["p50_ms"] / out["alone"]["p50_ms"]
json.dump(out, open("bench/results/backup.json", "w"), indent=2)
print(f"8 scanners on {out['database_mb']} MB: p50 {out['alone']['p50_ms']:.2f} -> {out['during-backup']['p50_ms']:.2f} ms, "
      f"p99 {out['alone']['p99_ms']:.2f} -> {out['during-backup']['p99_ms']:.2f} ms (ratio {out['p99_ratio']:.2f}; target <= 2), "
      f"throughput {out['alone']['per_second']:.0f} -> {out['during-backup']['per_second']:.0f}/s; "
      f"a backup alone takes {out['backup_seconds_idle']} s")
PY
