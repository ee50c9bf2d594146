#!/usr/bin/env bash
# `make bench`: every scenario of the benchmark suite, Stockroom and its baselines in the
# same run on the same machine, then one table (bench/report.py) and bench/results/*.json.
#
#   bench/run.sh                      all scenarios
#   SCENARIOS="edge sync" bench/run.sh   a subset: edge orders scale sync apply catchup hubpg bootstrap bootstrap1m analytics web backup
#   ROUNDS=5 SECONDS_PER_RUN=5        repetitions of each load run and their length
#
# Baselines (bench/baselines/): C through libsqlite3 (the write floor), nginx (the HTTP
# floor), PostgreSQL via pgbench (the central design), JSON lines + gzip, pycrdt and the
# SQLite session extension (sync size). Seeds are fixed; each load run is preceded by a
# warm-up of the same kind.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
SCENARIOS=${SCENARIOS:-edge orders scale sync apply catchup hubpg bootstrap bootstrap1m analytics web backup}
BIN=.build/release/stockroom
export PATH="$PATH:/usr/sbin:/sbin"
want() { [[ " $SCENARIOS " == *" $1 "* ]]; }

./packaging/install-deps.sh wrk curl nginx-light postgresql gcc libsqlite3-dev python3 python3-venv time
# The same flags as `make release` (Makefile RELEASE_FLAGS): what is measured is what ships.
swift build -c release --static-swift-stdlib --product stockroom
swift build -c release --static-swift-stdlib --product stockroom-bench

WORK=$(mktemp -d /tmp/stockroom-bench-XXXXXX)
chmod 755 "$WORK"
RAW="$WORK/raw.jsonl"
: >"$RAW"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    bench/baselines/nginx.sh stop "$WORK/nginx" 2>/dev/null || true
    bench/baselines/postgres.sh stop "$WORK/postgres" 2>/dev/null || true
    bench/baselines/postgres.sh stop "$WORK/pg16" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/bin"
gcc -O2 -o "$WORK/bin/sqlite_floor" bench/baselines/sqlite_floor.c -lsqlite3
gcc -O2 -o "$WORK/bin/session_changeset" bench/baselines/session_changeset.c -lsqlite3

record() { # scenario system round json: one line of $RAW, and a line on screen
    printf '%s' "$4" | python3 -c '
import json, sys
line = json.dumps({"scenario": sys.argv[1], "system": sys.argv[2], "round": int(sys.argv[3]),
                   "result": json.loads(sys.stdin.read())})
open(sys.argv[4], "a").write(line + "\n")
print(f"  {sys.argv[1]:<10} {sys.argv[2]:<14} round {sys.argv[3]}: {line[:160]}")' "$1" "$2" "$3" "$RAW"
}

# A stockroom node on PORT with the catalogue CATALOG; sets NODE_PID and NODE_TOKEN.
start_node() { # dir port catalog
    [ -z "$3" ] || "$BIN" import catalog "$3" --data "$1" >/dev/null
    "$BIN" serve --data "$1" --listen "127.0.0.1:$2" --log-level warning >"$1.log" 2>&1 &
    NODE_PID=$!
    PIDS+=("$NODE_PID")
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && break; sleep 0.1; done
    NODE_TOKEN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scanner'])" "$1/credentials.json")
}

codes_of() { # catalog.csv -> barcodes (or SKUs) one per line
    python3 -c '
import csv, sys
rows = csv.reader(open(sys.argv[1])); next(rows)
sys.stdout.write("\n".join(r[5] or r[0] for r in rows) + "\n")' "$1"
}

wrk_run() { # port threads connections script seconds token codes run_id [size]
    wrk -t"$2" -c"$3" -d"$5s" --timeout 5s -s "$4" "http://127.0.0.1:$1" -- "$6" "$7" "$8" "${9:-}" |
        sed -n "s/^RESULT {/{\"scans_per_request\":${9:-1},/p"
}

rss_kb() { awk "/$2/ {print \$2}" "/proc/$1/status"; }

if want edge; then
    echo "== edge: 1 and 64 scanners, batches, against PostgreSQL, nginx and the C floor"
    codes_of fixtures/catalog-10k.csv >"$WORK/codes-10k"
    start_node "$WORK/edge" 18181 fixtures/catalog-10k.csv
    EDGE_PID=$NODE_PID EDGE_TOKEN=$NODE_TOKEN
    sleep 2
    record memory stockroom 1 "{\"idle_rss_kb\":$(rss_kb "$EDGE_PID" VmRSS),\"items\":10000}"
    bench/baselines/postgres.sh start "$WORK/postgres" 15432
    bench/baselines/nginx.sh start "$WORK/nginx" 18282
    # Warm-up: one short run of each kind, not recorded.
    wrk_run 18181 1 1 bench/scan.lua 2 "$EDGE_TOKEN" "$WORK/codes-10k" warm >/dev/null
    wrk_run 18181 2 64 bench/scan.lua 2 "$EDGE_TOKEN" "$WORK/codes-10k" warm64 >/dev/null
    bench/baselines/postgres.sh run "$WORK/postgres" 15432 8 2 >/dev/null
    wrk_run 18282 2 64 bench/scan.lua 2 x "$WORK/codes-10k" warm >/dev/null
    for round in $(seq "$ROUNDS"); do
        record single stockroom "$round" "$(wrk_run 18181 1 1 bench/scan.lua "$SECONDS_PER_RUN" "$EDGE_TOKEN" "$WORK/codes-10k" "s1-$round")"
        record single postgres "$round" "$(bench/baselines/postgres.sh run "$WORK/postgres" 15432 1 "$SECONDS_PER_RUN" | sed -n 's/^RESULT //p')"
        record single nginx "$round" "$(wrk_run 18282 1 1 bench/scan.lua "$SECONDS_PER_RUN" x "$WORK/codes-10k" n1)"
        rm -f "$WORK/floor.sqlite"*
        record single sqlite_c "$round" "$("$WORK/bin/sqlite_floor" scan "$WORK/floor.sqlite" 5000 FULL)"
        record c64 stockroom "$round" "$(wrk_run 18181 2 64 bench/scan.lua "$SECONDS_PER_RUN" "$EDGE_TOKEN" "$WORK/codes-10k" "s64-$round")"
        record c64 postgres "$round" "$(bench/baselines/postgres.sh run "$WORK/postgres" 15432 64 "$SECONDS_PER_RUN" | sed -n 's/^RESULT //p')"
        record c64 nginx "$round" "$(wrk_run 18282 2 64 bench/scan.lua "$SECONDS_PER_RUN" x "$WORK/codes-10k" n64)"
        record batch stockroom "$round" "$(wrk_run 18181 2 8 bench/scan.lua "$SECONDS_PER_RUN" "$EDGE_TOKEN" "$WORK/codes-10k" "b-$round" 100)"
    done
    record memory stockroom_peak 1 "{\"peak_rss_kb\":$(rss_kb "$EDGE_PID" VmHWM)}"
    kill "$EDGE_PID"; wait "$EDGE_PID" 2>/dev/null || true
    bench/baselines/postgres.sh stop "$WORK/postgres"
    bench/baselines/nginx.sh stop "$WORK/nginx"
fi

if want orders; then
    echo "== orders: placing an order of 5 lines on one connection, durable, beside 1 scanner"
    # SKUs with at least 20 on the shelf, so the runs' orders are taken, not refused for stock.
    python3 -c '
import csv, sys
rows = csv.reader(open(sys.argv[1])); next(rows)
sys.stdout.write("\n".join(r[0] for r in rows if int(r[1]) >= 20) + "\n")' fixtures/opening-stock-10k.csv >"$WORK/skus-10k"
    codes_of fixtures/catalog-10k.csv >"$WORK/codes-10k"
    "$BIN" import catalog fixtures/catalog-10k.csv --data "$WORK/orders" >/dev/null
    "$BIN" import stock fixtures/opening-stock-10k.csv --data "$WORK/orders" >/dev/null
    start_node "$WORK/orders" 18185 ""
    ORDERS_PID=$NODE_PID ORDERS_SCANNER=$NODE_TOKEN
    ORDERS_STAFF=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['admin'])" "$WORK/orders/credentials.json")
    wrk_run 18185 1 1 bench/order.lua 2 "$ORDERS_STAFF" "$WORK/skus-10k" warm >/dev/null
    wrk_run 18185 1 1 bench/scan.lua 2 "$ORDERS_SCANNER" "$WORK/codes-10k" warm >/dev/null
    for round in $(seq "$ROUNDS"); do
        record order5 stockroom "$round" "$(wrk_run 18185 1 1 bench/order.lua "$SECONDS_PER_RUN" "$ORDERS_STAFF" "$WORK/skus-10k" "o-$round" 5)"
        record order_scan stockroom "$round" "$(wrk_run 18185 1 1 bench/scan.lua "$SECONDS_PER_RUN" "$ORDERS_SCANNER" "$WORK/codes-10k" "os-$round")"
    done
    kill "$ORDERS_PID"; wait "$ORDERS_PID" 2>/dev/null || true
fi

if want scale; then
    echo "== scale: 1 scanner with 10,000 and with 1,000,000 items (same run)"
    # The 1M-item node is imported once (~4 min here) and kept in bench/.cache: later runs
    # copy it. Delete bench/.cache to measure the import again.
    CACHE=bench/.cache/catalog-1m-seed7
    if [ ! -f "$CACHE/data/stockroom.sqlite" ]; then
        rm -rf "$CACHE" && mkdir -p "$CACHE"
        python3 fixtures/generate_catalog.py --items 1000000 --seed 7 >"$CACHE/catalog.csv"
        started=$(date +%s%N)
        "$BIN" import catalog "$CACHE/catalog.csv" --data "$CACHE/data" >/dev/null
        echo "{\"items\":1000000,\"milliseconds\":$(( ($(date +%s%N) - started) / 1000000 ))}" >"$CACHE/import.json"
    fi
    record import stockroom 1 "$(cat "$CACHE/import.json")"
    codes_of "$CACHE/catalog.csv" >"$WORK/codes-1m"
    codes_of fixtures/catalog-10k.csv >"$WORK/codes-10k"
    start_node "$WORK/small" 18183 fixtures/catalog-10k.csv
    SMALL_PID=$NODE_PID SMALL_TOKEN=$NODE_TOKEN
    cp -r "$CACHE/data" "$WORK/large"
    start_node "$WORK/large" 18184 ""
    LARGE_PID=$NODE_PID LARGE_TOKEN=$NODE_TOKEN
    record memory stockroom_1m 1 "{\"idle_rss_kb\":$(rss_kb "$LARGE_PID" VmRSS),\"items\":1000000}"
    wrk_run 18183 1 1 bench/scan.lua 2 "$SMALL_TOKEN" "$WORK/codes-10k" warm >/dev/null
    wrk_run 18184 1 1 bench/scan.lua 5 "$LARGE_TOKEN" "$WORK/codes-1m" warm >/dev/null
    for round in $(seq "$ROUNDS"); do
        record scale_10k stockroom "$round" "$(wrk_run 18183 1 1 bench/scan.lua "$SECONDS_PER_RUN" "$SMALL_TOKEN" "$WORK/codes-10k" "k-$round")"
        record scale_1m stockroom "$round" "$(wrk_run 18184 1 1 bench/scan.lua "$SECONDS_PER_RUN" "$LARGE_TOKEN" "$WORK/codes-1m" "m-$round")"
    done
    kill "$SMALL_PID" "$LARGE_PID"; wait "$SMALL_PID" "$LARGE_PID" 2>/dev/null || true
fi

if want sync; then
    echo "== sync size: 100,000 sales over 10,000 SKUs"
    [ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
    bench/.venv/bin/python -c 'import pycrdt' 2>/dev/null || bench/.venv/bin/pip install -q pycrdt
    .build/release/stockroom-bench sync-size --ops 100000 --seed 42 --jsonl "$WORK/sales.jsonl" --tsv "$WORK/sales.tsv" --out "$WORK/size.json" >/dev/null
    record sync_size stockroom 1 "$(cat "$WORK/size.json")"
    bench/.venv/bin/python bench/baselines/sync_alternatives.py "$WORK/sales.jsonl" "$WORK/sales.tsv" "$WORK/bin/session_changeset" "$WORK/alt.json" >/dev/null
    record sync_size alternatives 1 "$(cat "$WORK/alt.json")"
fi

if want apply; then
    echo "== hub apply: 10 stores pushing 100,000 ops, against the C floor (batches of 5,000, FULL)"
    for round in $(seq "$ROUNDS"); do
        .build/release/stockroom-bench hub-apply --rounds 1 --ops 100000 --out "$WORK/apply.json" >/dev/null
        record apply stockroom "$round" "$(cat "$WORK/apply.json")"
        # Issue #12's mix: 90% sales, the rest orders, PO receipts and transfers.
        .build/release/stockroom-bench hub-apply --rounds 1 --ops 100000 --mix --out "$WORK/apply.json" >/dev/null
        record apply_mix stockroom "$round" "$(cat "$WORK/apply.json")"
        rm -f "$WORK/floor.sqlite"*
        record apply sqlite_c "$round" "$("$WORK/bin/sqlite_floor" apply "$WORK/floor.sqlite" 100000 FULL 5000)"
    done
fi

if want catchup; then
    echo "== catch-up: a week offline (350,000 ops) both ways"
    .build/release/stockroom-bench catch-up --rounds 3 --ops 350000 --out "$WORK/catchup.json"
    record catchup stockroom 1 "$(cat "$WORK/catchup.json")"
    .build/release/stockroom-bench catch-up --rounds 3 --ops 350000 --mix --out "$WORK/catchup.json"
    record catchup_mix stockroom 1 "$(cat "$WORK/catchup.json")"
    # The floor for the hub's half: the same number of ops into one fresh database.
    for round in 1 2 3; do
        rm -f "$WORK/floor.sqlite"*
        record catchup sqlite_c "$round" "$("$WORK/bin/sqlite_floor" apply "$WORK/floor.sqlite" 350000 FULL 5000)"
    done
fi

if want hubpg; then
    # Issue #16: the hub on PostgreSQL, beside the SQLite hub and the COPY floor, in one run.
    echo "== hub on PostgreSQL: 10 stores push 100,000 ops; a week offline catches up"
    bench/baselines/postgres.sh start "$WORK/pg16" 15433
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    AS=(); [ "$(id -u)" = 0 ] && AS=(runuser -u postgres --)
    fresh_db() { "${AS[@]}" "$PGBIN/psql" -q -h 127.0.0.1 -p 15433 -U bench -d postgres -c "CREATE DATABASE $1" >/dev/null
                 echo "postgres://bench@127.0.0.1:15433/$1?sslmode=disable"; }
    for round in $(seq 3); do
        record apply_pg postgres_copy "$round" "$(bench/baselines/pg-copy.sh 15433 bench 100000 | sed -n 's/^RESULT //p')"
        .build/release/stockroom-bench hub-apply --rounds 1 --ops 100000 --database "$(fresh_db apply1_$round)" --out "$WORK/apply.json" >/dev/null
        record apply_pg stockroom_pg1 "$round" "$(cat "$WORK/apply.json")"
        .build/release/stockroom-bench hub-apply --rounds 1 --ops 100000 --database "$(fresh_db apply2_$round)" --processes 2 --out "$WORK/apply.json" >/dev/null
        record apply_pg stockroom_pg2 "$round" "$(cat "$WORK/apply.json")"
        .build/release/stockroom-bench hub-apply --rounds 1 --ops 100000 --out "$WORK/apply.json" >/dev/null
        record apply_pg stockroom_sqlite "$round" "$(cat "$WORK/apply.json")"
    done
    .build/release/stockroom-bench catch-up --rounds 3 --ops 350000 --database "$(fresh_db catch1)" \
        --database "$(fresh_db catch2)" --database "$(fresh_db catch3)" --out "$WORK/catchup.json"
    record catchup_pg stockroom_pg 1 "$(cat "$WORK/catchup.json")"
    .build/release/stockroom-bench catch-up --rounds 3 --ops 350000 --out "$WORK/catchup.json"
    record catchup_pg stockroom_sqlite 1 "$(cat "$WORK/catchup.json")"
    # A simulated chain: 1,000 stores at a till's pace against 2 hub processes.
    .build/release/stockroom-bench chain --stores 1000 --seconds 60 --database "$(fresh_db chain1)" --out "$WORK/chain.json"
    record chain stockroom_pg 1 "$(cat "$WORK/chain.json")"
    bench/baselines/postgres.sh stop "$WORK/pg16"
fi

if want bootstrap; then
    # Issue #16: a blank store recovers from its hub: every op, and the snapshot (rule K1).
    echo "== bootstrap: a wiped store recovers 500,000 scans of history, full vs snapshot"
    .build/release/stockroom-bench bootstrap --rounds 3 --scans 500000 --out "$WORK/bootstrap.json"
    record bootstrap stockroom 1 "$(cat "$WORK/bootstrap.json")"
    echo "== bootstrap: a blank store with 10,000 items (catalogue and a count of each) from a snapshot"
    .build/release/stockroom-bench bootstrap --rounds 3 --scans 0 --counted 10000 --modes snapshot \
        --out "$WORK/bootstrap-10k.json"
    record bootstrap_items stockroom_10k 1 "$(cat "$WORK/bootstrap-10k.json")"
fi

if want bootstrap1m; then
    # The same with 1,000,000 items (the hub imports the catalogue: about 4 minutes more).
    echo "== bootstrap: a blank store with 1,000,000 items from a snapshot"
    CACHE=bench/.cache/catalog-1m-seed7
    mkdir -p "$CACHE"
    [ -f "$CACHE/catalog.csv" ] || python3 fixtures/generate_catalog.py --items 1000000 --seed 7 >"$CACHE/catalog.csv"
    .build/release/stockroom-bench bootstrap --rounds 3 --scans 0 --counted 1000000 --modes snapshot \
        --catalog "$CACHE/catalog.csv" --out "$WORK/bootstrap-1m.json"
    record bootstrap_items stockroom_1m 1 "$(cat "$WORK/bootstrap-1m.json")"
fi

if want analytics; then
    # Issue #14: forecasts against statsforecast (Dominick's orange juice, a daily
    # intermittent generator), shrinkage detection against scikit-learn, and the speeds.
    echo "== analytics: forecasts, shrinkage, history import, reports"
    VENV=.build/analytics-venv
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import statsforecast, sklearn, rdata" 2>/dev/null; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet "statsforecast==2.1.1" "scikit-learn==1.9.1" "rdata==1.0.0" 2>/dev/null ||
            "$VENV/bin/pip" install --quiet "statsforecast==2.1.1" scikit-learn rdata
    fi
    mkdir -p bench/results
    "$VENV/bin/python" bench/analytics.py forecast --out bench/results/analytics-forecast.json
    "$VENV/bin/python" bench/analytics.py anomalies --out bench/results/analytics-anomalies.json
    .build/release/stockroom-bench forecast-speed --rounds 3 --out bench/results/analytics-forecast-speed.json
    .build/release/stockroom-bench anomaly-speed --rounds 1 --out bench/results/analytics-anomaly-speed.json
    .build/release/stockroom-bench report-speed --rounds 3 --out bench/results/analytics-report-speed.json
    # 5,000,000 history rows: the time and the peak RSS of `stockroom import history`.
    ROWS=${HISTORY_ROWS:-5000000}
    python3 fixtures/generate_history.py --location store-1 --end 2026-11-01 --scale 2.6 2>/dev/null |
        head -n $((ROWS + 1)) >"$WORK/history.csv"
    "$BIN" import catalog fixtures/catalog-10k.csv --data "$WORK/history" --node store-1 >/dev/null
    /usr/bin/time -f '{"seconds": %e, "max_rss_kb": %M}' -o "$WORK/import.json" \
        "$BIN" import history "$WORK/history.csv" --data "$WORK/history" --quiet
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["rows"]=int(sys.argv[2]); print("history import:", r); json.dump(r, open("bench/results/analytics-import.json","w"))' \
        "$WORK/import.json" "$(($(wc -l <"$WORK/history.csv") - 1))"
fi

if want web; then
    bench/web.sh "$BIN" "$WORK" "$ROUNDS" "$SECONDS_PER_RUN"
fi

if want backup; then
    bench/backup.sh "$BIN" "$WORK" "$ROUNDS" "$SECONDS_PER_RUN"
fi

python3 bench/report.py "$RAW" --rounds "$ROUNDS" --seconds "$SECONDS_PER_RUN"
