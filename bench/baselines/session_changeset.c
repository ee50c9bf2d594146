/*
 * SQLite's own answer to "send what changed": the session extension. Replays the sales
 * in OPS_TSV (lines "sku<TAB>location<TAB>delta", exported by stockroom-bench from the
 * same stream Stockroom's wire figure uses) against a stock table holding every cell,
 * with a session attached, and writes the changeset to OUT.
 *
 *   session_changeset OPS_TSV OUT [with-log]
 *
 * Without `with-log` only the stock table is tracked: a state delta (one UPDATE per cell
 * that changed, old and new quantity), which says nothing about who sold what or when.
 * With it, the op rows (same columns as Stockroom's log) are tracked too.
 */
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sqlite3 *db;
static void check(int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "session_changeset: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: session_changeset OPS_TSV OUT [with-log]\n");
        return 2;
    }
    int with_log = argc > 3 && !strcmp(argv[3], "with-log");
    if (!sqlite3_compileoption_used("ENABLE_SESSION")) {
        fprintf(stderr, "session_changeset: this libsqlite3 was built without the session extension\n");
        return 1;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) { perror(argv[1]); return 1; }
    check(sqlite3_open(":memory:", &db), "open");
    check(sqlite3_exec(db,
        "CREATE TABLE stock (sku TEXT NOT NULL, location TEXT NOT NULL, quantity INTEGER NOT NULL,"
        " PRIMARY KEY (sku, location)) WITHOUT ROWID;"
        "CREATE TABLE ops (lsn INTEGER PRIMARY KEY, origin TEXT NOT NULL, seq INTEGER NOT NULL,"
        " hlc INTEGER NOT NULL, kind INTEGER NOT NULL, sku TEXT NOT NULL, location TEXT, quantity INTEGER,"
        " reason INTEGER, actor TEXT NOT NULL, device TEXT NOT NULL, scan_id TEXT);", 0, 0, 0), "schema");
    /* Every cell exists before the sync window, as it would in a store. */
    char line[512], sku[128], location[128], device[64], scan[64];
    long long delta, hlc;
    sqlite3_stmt *seed, *update, *insert;
    check(sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO stock VALUES (?1, ?2, 100)", -1, &seed, 0), "prepare");
    check(sqlite3_prepare_v2(db, "UPDATE stock SET quantity = quantity + ?3 WHERE sku = ?1 AND location = ?2",
        -1, &update, 0), "prepare");
    check(sqlite3_prepare_v2(db, "INSERT INTO ops (origin, seq, hlc, kind, sku, location, quantity, reason,"
        " actor, device, scan_id) VALUES (?2, ?6, ?7, 0, ?1, ?2, ?3, 1, 'scanner (token:k2v9q8xw1a)', ?4, ?5)",
        -1, &insert, 0), "prepare");
    while (fgets(line, sizeof line, in)) {
        if (sscanf(line, "%127s\t%127s\t%lld\t%63s\t%63s\t%lld", sku, location, &delta, device, scan, &hlc) < 3)
            continue;
        sqlite3_bind_text(seed, 1, sku, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(seed, 2, location, -1, SQLITE_TRANSIENT);
        check(sqlite3_step(seed), "seed");
        sqlite3_reset(seed);
    }
    sqlite3_session *session;
    check(sqlite3session_create(db, "main", &session), "session");
    check(sqlite3session_attach(session, "stock"), "attach stock");
    if (with_log) check(sqlite3session_attach(session, "ops"), "attach ops");
    rewind(in);
    long n = 0;
    check(sqlite3_exec(db, "BEGIN", 0, 0, 0), "begin");
    while (fgets(line, sizeof line, in)) {
        if (sscanf(line, "%127s\t%127s\t%lld\t%63s\t%63s\t%lld", sku, location, &delta, device, scan, &hlc) < 6)
            continue;
        sqlite3_bind_text(update, 1, sku, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(update, 2, location, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(update, 3, delta);
        check(sqlite3_step(update), "update");
        sqlite3_reset(update);
        sqlite3_bind_text(insert, 1, sku, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 2, location, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 3, delta);
        sqlite3_bind_text(insert, 4, device, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 5, scan, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 6, ++n);
        sqlite3_bind_int64(insert, 7, hlc);
        check(sqlite3_step(insert), "insert");
        sqlite3_reset(insert);
    }
    check(sqlite3_exec(db, "COMMIT", 0, 0, 0), "commit");
    int size;
    void *changeset;
    check(sqlite3session_changeset(session, &size, &changeset), "changeset");
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(changeset, 1, size, out) != (size_t)size) { perror(argv[2]); return 1; }
    fclose(out);
    printf("{\"ops\":%ld,\"changeset_bytes\":%d,\"with_log\":%s}\n", n, size, with_log ? "true" : "false");
    return 0;
}
