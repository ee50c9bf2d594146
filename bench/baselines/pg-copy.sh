#!/usr/bin/env bash
# The PostgreSQL floor for a hub's apply (issue #16): the same number of op rows inserted
# straight into PostgreSQL by COPY, in transactions of 5,000, durable (fsync and
# synchronous_commit on), over TCP on loopback, one writer; psql sends the data.
#
#   pg-copy.sh PORT USER OPS     prints one RESULT JSON line: ops, seconds, ops_per_s
set -euo pipefail
port=$1 user=$2 ops=$3
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
db="copyfloor_$$"
psql() { "$BIN/psql" -q -h 127.0.0.1 -p "$port" -U "$user" "$@"; }
psql -d postgres -c "CREATE DATABASE $db" >/dev/null
trap 'psql -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
psql -d "$db" >/dev/null <<'SQL'
CREATE TABLE ops (lsn bigint PRIMARY KEY, origin text NOT NULL, seq bigint NOT NULL, hlc bigint NOT NULL,
    kind int NOT NULL, sku text NOT NULL, location text, quantity bigint, reason int,
    actor text NOT NULL, device text NOT NULL DEFAULT '', scan_id text, applied_at bigint NOT NULL);
CREATE UNIQUE INDEX ops_by_id ON ops(origin, seq);
SQL
script=$(mktemp)
python3 - "$ops" >"$script" <<'PY'
import sys
ops = int(sys.argv[1])
for start in range(0, ops, 5000):
    print("BEGIN;")
    print("COPY ops (lsn, origin, seq, hlc, kind, sku, location, quantity, reason, actor, device, scan_id, applied_at) FROM STDIN;")
    for n in range(start, min(ops, start + 5000)):
        store = n % 10
        print(f"{n + 1}\tstore-{store}\t{n // 10 + 1}\t{1800000000000000 + n}\t0\tSKU-{n * 7919 % 10000:06d}\tstore-{store}\t-1\t1\ttill\ttill-{n % 4}\ts{n}\t0")
    print("\\.")
    print("COMMIT;")
PY
started=$(date +%s.%N)
psql -d "$db" -f "$script" >/dev/null
ended=$(date +%s.%N)
rm -f "$script"
python3 -c "
import json, sys
ops, seconds = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2])
print('RESULT ' + json.dumps({'ops': ops, 'seconds': round(seconds, 3), 'ops_per_s': round(ops / seconds)}))" "$ops" "$started" "$ended"
