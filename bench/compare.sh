#!/usr/bin/env bash
# The 10% guard: two builds of stockroom measured in the same run, rounds interleaved, on
# the scenarios a change must not slow by more than 10% (README "Benchmarks"): 1 and 64
# scanners over HTTP, the hub's apply and the store's catch-up.
#
#   bench/compare.sh OLD_BUILD_DIR NEW_BUILD_DIR
#
# Each BUILD_DIR holds `stockroom` and `stockroom-bench` built with `make release` flags
# (e.g. a worktree of the base commit: `git worktree add /tmp/base REV`, then
# `swift build -c release --static-swift-stdlib` there). ROUNDS (default 5) and
# SECONDS_PER_RUN (default 5) as in bench/run.sh; APPLY=0 leaves out the store apply (its
# disk writes spill into the next scan measurement); SYNCHRONOUS=normal takes the fsync out
# of each scan, leaving the CPU work a change adds (on a shared disk, fsync times swing 3x). Prints one line per scenario: the
# medians of both builds and new/old.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1 NEW=$2
ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
command -v wrk >/dev/null || ./packaging/install-deps.sh wrk
WORK=$(mktemp -d /tmp/stockroom-compare.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

python3 -c '
import csv, sys
rows = csv.reader(open("fixtures/catalog-10k.csv")); next(rows)
sys.stdout.write("\n".join(r[5] or r[0] for r in rows) + "\n")' >"$WORK/codes"

start() { # name bin port -> prints pid token
    "$2/stockroom" import catalog fixtures/catalog-10k.csv --data "$WORK/$1" >/dev/null
    "$2/stockroom" serve --data "$WORK/$1" --listen "127.0.0.1:$3" --log-level warning \
        --synchronous "${SYNCHRONOUS:-full}" >"$WORK/$1.log" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$3/healthz" >/dev/null && break; sleep 0.1; done
    local token
    token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$WORK/$1/credentials.json")
    echo "$pid $token"
}

wrk_p() { # port threads connections seconds token run -> "scans_per_s p50_us p99_us"
    wrk -t"$2" -c"$3" -d"$4s" --timeout 5s -s bench/scan.lua "http://127.0.0.1:$1" -- "$5" "$WORK/codes" "$6" |
        sed -n 's/^RESULT //p' | python3 -c '
import json, sys
r = json.loads(sys.stdin.read()); print(r["requests"] / (r["duration_us"] / 1e6), r["p50_us"], r["p99_us"])'
}

read -r OLD_PID OLD_TOKEN < <(start old "$OLD" 18501)
read -r NEW_PID NEW_TOKEN < <(start new "$NEW" 18502)
for port_token in "18501 $OLD_TOKEN" "18502 $NEW_TOKEN"; do
    set -- $port_token
    wrk_p "$1" 1 1 2 "$2" warm1 >/dev/null
    wrk_p "$1" 2 64 2 "$2" warm64 >/dev/null
done
: >"$WORK/results"
for round in $(seq "$ROUNDS"); do
    # ABBA: the side that goes first alternates, so neither always follows the other's
    # disk writes (fsync-bound figures on a shared disk move with what ran just before).
    order="old new"; [ $((round % 2)) = 0 ] && order="new old"
    for side in $order; do
        if [ $side = old ]; then port=18501 token=$OLD_TOKEN bin=$OLD; else port=18502 token=$NEW_TOKEN bin=$NEW; fi
        read -r _ p50 p99 < <(wrk_p $port 1 1 "$SECONDS_PER_RUN" "$token" "s1-$round")
        echo "$side single_p50_us $p50" >>"$WORK/results"
        echo "$side single_p99_us $p99" >>"$WORK/results"
        read -r rate _ _ < <(wrk_p $port 2 64 "$SECONDS_PER_RUN" "$token" "s64-$round")
        echo "$side c64_scans_per_s $rate" >>"$WORK/results"
        [ "${APPLY:-1}" = 1 ] || continue
        apply=$("$bin/stockroom-bench" store-apply --rounds 1 --out "$WORK/apply.json" |
            sed -n 's/.*: \([0-9]*\) ops\/s/\1/p')
        echo "$side store_apply_ops_per_s $apply" >>"$WORK/results"
    done
done
kill "$OLD_PID" "$NEW_PID"
python3 - "$WORK/results" <<'EOF'
import statistics, sys, collections
values = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, name, value = line.split()
    values[(side, name)].append(float(value))
for name in ["single_p50_us", "single_p99_us", "c64_scans_per_s", "store_apply_ops_per_s"]:
    if not values[("old", name)]: continue
    old, new = statistics.median(values[("old", name)]), statistics.median(values[("new", name)])
    print(f"{name:24} old {old:12,.1f}   new {new:12,.1f}   new/old {new / old:5.3f}   "
          f"(old {sorted(values[('old', name)])}, new {sorted(values[('new', name)])})")
EOF
