#!/usr/bin/env bash
# PostgreSQL, the central design Stockroom replaces, doing the same work per scan: one
# transaction with the stock upsert and the op insert (same columns and indexes), durable
# (fsync and synchronous_commit on, the defaults), over TCP on loopback. pgbench drives it.
#
#   postgres.sh start DIR PORT       initdb into DIR (private), start on 127.0.0.1:PORT
#   postgres.sh run DIR PORT CLIENTS SECONDS   prints one RESULT JSON line
#   postgres.sh stop DIR
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
AS=()
[ "$(id -u)" = 0 ] && AS=(runuser -u postgres --)
cmd=$1 dir=$2
case $cmd in
start)
    port=$3
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    "${AS[@]}" "$BIN/initdb" -D "$dir/data" -A trust -U bench >/dev/null
    "${AS[@]}" "$BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=on -c synchronous_commit=on" start >/dev/null
    "${AS[@]}" "$BIN/psql" -q -h 127.0.0.1 -p "$port" -U bench -d postgres <<'SQL'
CREATE TABLE stock (sku text NOT NULL, location text NOT NULL, quantity bigint NOT NULL,
    updated_hlc bigint NOT NULL, PRIMARY KEY (sku, location));
CREATE TABLE ops (lsn bigserial PRIMARY KEY, origin text NOT NULL, seq bigint NOT NULL, hlc bigint NOT NULL,
    kind int NOT NULL, sku text NOT NULL, location text, quantity bigint, reason int, body text,
    actor text NOT NULL, device text NOT NULL DEFAULT '', scan_id text, result_quantity bigint,
    applied_at bigint NOT NULL);
CREATE UNIQUE INDEX ops_by_id ON ops(origin, seq);
CREATE UNIQUE INDEX ops_by_scan ON ops(origin, device, scan_id) WHERE scan_id IS NOT NULL;
CREATE INDEX ops_by_cell ON ops(sku, location);
CREATE SEQUENCE op_seq;
INSERT INTO stock SELECT 'SKU-' || lpad(n::text, 6, '0'), 'store-042', 100, 0 FROM generate_series(1, 10000) n;
SQL
    cat >"$dir/scan.sql" <<'SQL'
\set n random(1, 10000)
\set hlc random(1, 1000000000)
BEGIN;
INSERT INTO stock (sku, location, quantity, updated_hlc) VALUES ('SKU-' || lpad(:n::text, 6, '0'), 'store-042', -1, :hlc)
    ON CONFLICT (sku, location) DO UPDATE SET quantity = stock.quantity + excluded.quantity,
    updated_hlc = greatest(stock.updated_hlc, excluded.updated_hlc);
INSERT INTO ops (origin, seq, hlc, kind, sku, location, quantity, reason, actor, device, scan_id, applied_at)
    VALUES ('store-042', nextval('op_seq'), :hlc, 0, 'SKU-' || lpad(:n::text, 6, '0'), 'store-042', -1, 1,
    'scanner (token k2v9q8xw1a)', 'till-' || :client_id::text, 's' || currval('op_seq')::text, 0);
END;
SQL
    chmod a+r "$dir/scan.sql"
    ;;
run)
    port=$3 clients=$4 seconds=$5
    logdir=$(mktemp -d "$dir/log-XXXX")
    [ "$(id -u)" = 0 ] && chown postgres "$logdir"
    threads=$(( clients < 2 ? 1 : 2 ))
    (cd "$logdir" && "${AS[@]}" "$BIN/pgbench" -n -M prepared --random-seed=42 -h 127.0.0.1 -p "$port" -U bench -c "$clients" \
        -j "$threads" -T "$seconds" -f "$dir/scan.sql" -l postgres >"$logdir/out.txt" 2>&1) ||
        { cat "$logdir/out.txt" >&2; exit 1; }
    # pgbench's per-transaction log: client, tx, latency_us, script, epoch_s, epoch_us.
    cat "$logdir"/pgbench_log.* | python3 -c '
import json, sys
lat = sorted(int(line.split()[2]) for line in sys.stdin if line.strip())
ends = []
print("RESULT " + json.dumps({"requests": len(lat), "duration_us": int(float(sys.argv[1]) * 1e6),
    "p50_us": lat[len(lat) // 2], "p99_us": lat[int(len(lat) * 0.99)], "p999_us": lat[int(len(lat) * 0.999)],
    "max_us": lat[-1], "non2xx": 0, "socket_errors": 0}))' "$seconds"
    rm -rf "$logdir"
    ;;
stop)
    "${AS[@]}" "$BIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    ;;
*) echo "usage: postgres.sh start|run|stop DIR ..." >&2; exit 2 ;;
esac
