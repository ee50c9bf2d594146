/*
 * The physical floor for Stockroom's writes: the same SQLite transaction a scan makes
 * (stock upsert + op insert, same tables and indexes, WAL, prepared statements), done
 * directly through libsqlite3 with no HTTP, no JSON and no merge logic.
 *
 *   sqlite_floor scan  DB N SYNC        one transaction per scan, N scans; latency p50/p99
 *   sqlite_floor apply DB N SYNC BATCH  N ops in transactions of BATCH (the hub's apply)
 *
 * On a fresh DB each run: its cost grows with the log (the ops_by_cell index takes random
 * inserts), so compare runs of the same N.
 *
 * SYNC is FULL or NORMAL. Prints one JSON line. SKUs are drawn from 10,000 with a fixed
 * seed, like the Stockroom scenarios.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The store's own pragmas: WAL and a 16 MiB page cache (SQLite checkpoints by itself here;
 * the store does it on a background thread). */
static const char *schema =
    "PRAGMA journal_mode=WAL; PRAGMA cache_size=-16384;"
    "CREATE TABLE IF NOT EXISTS ops (lsn INTEGER PRIMARY KEY, origin TEXT NOT NULL, seq INTEGER NOT NULL,"
    " hlc INTEGER NOT NULL, kind INTEGER NOT NULL, sku TEXT NOT NULL, location TEXT, quantity INTEGER,"
    " reason INTEGER, body TEXT, actor TEXT NOT NULL, device TEXT NOT NULL DEFAULT '', scan_id TEXT,"
    " result_quantity INTEGER, applied_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_by_id ON ops(origin, seq);"
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_by_scan ON ops(origin, device, scan_id) WHERE scan_id IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS ops_by_cell ON ops(sku, location);"
    "CREATE TABLE IF NOT EXISTS stock (sku TEXT NOT NULL, location TEXT NOT NULL, quantity INTEGER NOT NULL,"
    " count_origin TEXT, count_seq INTEGER, count_hlc INTEGER, count_quantity INTEGER, count_context TEXT,"
    " updated_hlc INTEGER NOT NULL, PRIMARY KEY (sku, location)) WITHOUT ROWID;";

static const char *upsert_sql =
    "INSERT INTO stock (sku, location, quantity, updated_hlc) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (sku, location) DO UPDATE SET quantity = quantity + excluded.quantity,"
    " updated_hlc = max(updated_hlc, excluded.updated_hlc)";
static const char *insert_sql =
    "INSERT INTO ops (origin, seq, hlc, kind, sku, location, quantity, reason, actor, device, scan_id,"
    " applied_at) VALUES (?1, ?2, ?3, 0, ?4, ?5, -1, 1, 'scanner (token:k2v9q8xw1a)', ?6, ?7, ?8)";

static sqlite3 *db;
static sqlite3_stmt *upsert, *insert, *begin, *commit;
static uint64_t rng = 42;

static uint64_t next_random(void) { /* splitmix64 */
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void check(int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "sqlite_floor: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static void step(sqlite3_stmt *s, const char *what) {
    check(sqlite3_step(s), what);
    sqlite3_reset(s);
}

static void one_op(int64_t seq) {
    char sku[16], device[16], scan[32];
    snprintf(sku, sizeof sku, "SKU-%06d", (int)(next_random() % 10000) + 1);
    snprintf(device, sizeof device, "till-%d", (int)(seq % 4));
    snprintf(scan, sizeof scan, "t%d-%lld", (int)(seq % 4), (long long)seq);
    int64_t hlc = (1795000000000ll + seq) << 16;
    sqlite3_bind_text(upsert, 1, sku, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(upsert, 2, "store-042", -1, SQLITE_STATIC);
    sqlite3_bind_int64(upsert, 3, -1);
    sqlite3_bind_int64(upsert, 4, hlc);
    step(upsert, "stock upsert");
    sqlite3_bind_text(insert, 1, "store-042", -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, seq);
    sqlite3_bind_int64(insert, 3, hlc);
    sqlite3_bind_text(insert, 4, sku, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 5, "store-042", -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 6, device, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 7, scan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 8, 1795000000000ll + seq);
    step(insert, "op insert");
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 5 || (strcmp(argv[1], "scan") && strcmp(argv[1], "apply"))) {
        fprintf(stderr, "usage: sqlite_floor scan DB N FULL|NORMAL | apply DB N FULL|NORMAL BATCH\n");
        return 2;
    }
    int apply = !strcmp(argv[1], "apply");
    long n = atol(argv[3]);
    long batch = apply ? (argc > 5 ? atol(argv[5]) : 5000) : 1;
    char pragma[64];
    check(sqlite3_open(argv[2], &db), "open");
    check(sqlite3_exec(db, schema, 0, 0, 0), "schema");
    snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", argv[4]);
    check(sqlite3_exec(db, pragma, 0, 0, 0), "synchronous");
    check(sqlite3_prepare_v2(db, upsert_sql, -1, &upsert, 0), "prepare upsert");
    check(sqlite3_prepare_v2(db, insert_sql, -1, &insert, 0), "prepare insert");
    check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, 0), "prepare begin");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, 0), "prepare commit");
    int64_t seq = 0;
    sqlite3_stmt *last = 0;
    check(sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM ops", -1, &last, 0), "prepare max");
    if (sqlite3_step(last) == SQLITE_ROW) seq = sqlite3_column_int64(last, 0);
    sqlite3_finalize(last);

    long transactions = (n + batch - 1) / batch;
    double *latency = malloc(sizeof(double) * transactions);
    double started = now_us();
    for (long t = 0; t < transactions; t++) {
        double t0 = now_us();
        step(begin, "begin");
        for (long i = 0; i < batch && t * batch + i < n; i++) one_op(++seq);
        step(commit, "commit");
        latency[t] = now_us() - t0;
    }
    double elapsed = now_us() - started;
    qsort(latency, transactions, sizeof(double), compare);
    printf("{\"mode\":\"%s\",\"ops\":%ld,\"batch\":%ld,\"synchronous\":\"%s\",\"ops_per_s\":%.0f,"
           "\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
           argv[1], n, batch, argv[4], n / (elapsed / 1e6), latency[transactions / 2],
           latency[(long)(transactions * 0.99)]);
    sqlite3_close(db);
    return 0;
}
