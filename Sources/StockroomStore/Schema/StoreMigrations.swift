import GRDB

/// Named migrations. Never edit one that has landed; add a new one.
enum StoreMigrations {
    /// The newest migration this binary knows: the schema version it writes.
    static var current: String { migrator.migrations.last ?? "none" }

    /// Refuses a database a newer stockroom has migrated (a downgrade): its migrations
    /// include one this binary does not know. Reads only; the file is left as it is.
    /// Throws ``StoreError/schemaNewer(found:known:)``.
    static func refuseNewerSchema(_ reader: any DatabaseReader) throws {
        let known = Set(migrator.migrations)
        let applied = try reader.read { db -> [String] in
            guard try db.tableExists("grdb_migrations") else { return [] }
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
        }
        if let unknown = applied.filter({ !known.contains($0) }).sorted().last {
            throw StoreError.schemaNewer(found: unknown, known: current)
        }
    }

    /// The migrations applied to a database and the ones this binary would apply now.
    static func status(_ reader: any DatabaseReader) throws -> (applied: [String], pending: [String]) {
        try reader.read { db in
            let applied = try migrator.appliedIdentifiers(db)
            return (migrator.migrations.filter(applied.contains), migrator.migrations.filter { !applied.contains($0) })
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-oplog-and-state") { db in
            // Node-level facts: the node id, the role.
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

                    -- The op log: the single source of truth. `lsn` is this node's apply order.
                    CREATE TABLE ops (
                        lsn INTEGER PRIMARY KEY,
                        origin TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        hlc INTEGER NOT NULL,
                        kind INTEGER NOT NULL,
                        sku TEXT NOT NULL,
                        location TEXT,
                        quantity INTEGER,
                        reason INTEGER,
                        body TEXT,
                        actor TEXT NOT NULL,
                        device TEXT NOT NULL DEFAULT '',
                        scan_id TEXT,
                        result_quantity INTEGER,
                        applied_at INTEGER NOT NULL
                    );
                    CREATE UNIQUE INDEX ops_by_id ON ops(origin, seq);
                    CREATE UNIQUE INDEX ops_by_scan ON ops(origin, device, scan_id) WHERE scan_id IS NOT NULL;
                    CREATE INDEX ops_by_cell ON ops(sku, location);

                    -- Materialised state, all derived from `ops` (see StockroomStore+Replay).
                    CREATE TABLE items (
                        sku TEXT PRIMARY KEY,
                        alive INTEGER NOT NULL DEFAULT 0,
                        name TEXT NOT NULL DEFAULT '',
                        description TEXT NOT NULL DEFAULT '',
                        category TEXT NOT NULL DEFAULT '',
                        price_cents INTEGER,
                        barcodes TEXT NOT NULL DEFAULT '[]',
                        threshold INTEGER,
                        updated_hlc INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    CREATE INDEX items_by_category ON items(category, sku);
                    CREATE TABLE item_registers (
                        sku TEXT NOT NULL,
                        field INTEGER NOT NULL,
                        hlc INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        PRIMARY KEY (sku, field)
                    ) WITHOUT ROWID;
                    CREATE TABLE barcodes (
                        code TEXT NOT NULL,
                        sku TEXT NOT NULL,
                        hlc INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        PRIMARY KEY (code, sku)
                    ) WITHOUT ROWID;
                    CREATE INDEX barcodes_by_sku ON barcodes(sku);
                    CREATE TABLE stock (
                        sku TEXT NOT NULL,
                        location TEXT NOT NULL,
                        quantity INTEGER NOT NULL,
                        count_origin TEXT,
                        count_seq INTEGER,
                        count_hlc INTEGER,
                        count_quantity INTEGER,
                        count_context TEXT,
                        updated_hlc INTEGER NOT NULL,
                        PRIMARY KEY (sku, location)
                    ) WITHOUT ROWID;
                    CREATE INDEX stock_by_location ON stock(location, sku);
                    CREATE TABLE conflicts (
                        id INTEGER PRIMARY KEY,
                        kind TEXT NOT NULL,
                        sku TEXT NOT NULL,
                        location TEXT,
                        ops TEXT NOT NULL,
                        quantity INTEGER,
                        detail TEXT NOT NULL DEFAULT '',
                        detected_hlc INTEGER NOT NULL,
                        resolved_hlc INTEGER
                    );
                    CREATE UNIQUE INDEX conflicts_identity ON conflicts(kind, ops);
                    CREATE UNIQUE INDEX conflicts_open_oversell ON conflicts(sku, location)
                        WHERE kind = 'oversell' AND resolved_hlc IS NULL;

                    -- Bearer tokens; only a SHA-256 of the secret is kept.
                    CREATE TABLE tokens (
                        id TEXT PRIMARY KEY,
                        role TEXT NOT NULL,
                        node TEXT,
                        label TEXT NOT NULL DEFAULT '',
                        secret_sha256 BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2-sync-bookkeeping") { db in
            try db.execute(
                sql: """
                    -- This database's log epoch: a puller's cursor (an lsn) is only meaningful
                    -- within one epoch; a rebuilt or restored database gets a new one.
                    INSERT INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(8))));

                    -- Per origin, the seq up to which this node holds every op that concerns
                    -- it (sync-protocol section 4.3). Raised by pulls; on a hub equal to
                    -- the contiguous prefix.
                    CREATE TABLE sync_coverage (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;

                    -- Per peer we pull from: its epoch and the lsn we have pulled up to. Per
                    -- peer we push to: the seq of ours it has acknowledged.
                    CREATE TABLE sync_peers (
                        peer TEXT PRIMARY KEY,
                        epoch TEXT NOT NULL DEFAULT '',
                        cursor INTEGER NOT NULL DEFAULT 0,
                        pushed_seq INTEGER NOT NULL DEFAULT 0,
                        last_success_ms INTEGER,
                        last_error TEXT
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v3-sync-round-figures") { db in
            try db.execute(
                sql: """
                    -- What the last sync round with a peer moved, for `stockroom status`
                    -- (the daemon also has them in memory): bytes before and after
                    -- compression, and how far behind the peer's log we were at its end.
                    ALTER TABLE sync_peers ADD COLUMN last_raw_bytes INTEGER;
                    ALTER TABLE sync_peers ADD COLUMN last_wire_bytes INTEGER;
                    ALTER TABLE sync_peers ADD COLUMN pending_in INTEGER;
                    """)
        }
        migrator.registerMigration("v4-quarantined-ops") { db in
            // Ops that `stockroom check --repair` took out of the log because no valid op
            // could have written them (sync-protocol section 3.1): kept, with the reason,
            // for the operator and the chain's IT team.
            try db.execute(
                sql: """
                    CREATE TABLE quarantined_ops AS SELECT * FROM ops WHERE 0;
                    ALTER TABLE quarantined_ops ADD COLUMN problem TEXT;
                    ALTER TABLE quarantined_ops ADD COLUMN quarantined_at INTEGER;
                    """)
        }
        migrator.registerMigration("v5-quantity-states-and-documents") { db in
            // Section 10 of sync-protocol: documents and the states they derive, all
            // materialised from the log (a rebuild refolds them).
            try db.execute(
                sql: """
                    -- A document as the fold of its events: status, where, its lines (JSON).
                    CREATE TABLE documents (
                        kind INTEGER NOT NULL,
                        id TEXT NOT NULL,
                        status TEXT NOT NULL,
                        location TEXT NOT NULL,
                        counterpart TEXT,
                        channel TEXT,
                        expires_at INTEGER,
                        lines TEXT NOT NULL,
                        note TEXT,
                        opened_hlc INTEGER,
                        updated_hlc INTEGER NOT NULL,
                        PRIMARY KEY (kind, id)
                    ) WITHOUT ROWID;
                    CREATE INDEX documents_by_location ON documents(kind, location, id);
                    CREATE INDEX documents_by_counterpart ON documents(kind, counterpart, id);

                    -- Which ops are events of which document (event = the client's id). The key
                    -- serves both lookups, a document's events and an event id's ops, with no
                    -- second index to write at every event.
                    CREATE TABLE document_events (
                        kind INTEGER NOT NULL,
                        id TEXT NOT NULL,
                        event TEXT NOT NULL,
                        origin TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (kind, id, event, origin, seq)
                    ) WITHOUT ROWID;

                    -- What each open document adds to a cell's committed, held, incoming or
                    -- in-transit units (a hold's lapses at expires_at).
                    CREATE TABLE document_cells (
                        kind INTEGER NOT NULL,
                        id TEXT NOT NULL,
                        sku TEXT NOT NULL,
                        location TEXT NOT NULL,
                        state TEXT NOT NULL,
                        quantity INTEGER NOT NULL,
                        expires_at INTEGER,
                        channel TEXT,
                        PRIMARY KEY (kind, id, sku, location, state)
                    ) WITHOUT ROWID;
                    CREATE INDEX document_cells_by_cell ON document_cells(sku, location, state);

                    -- Units on the premises and not for sale, per cell (op kind `unavailable`).
                    CREATE TABLE unavailable (
                        sku TEXT NOT NULL,
                        location TEXT NOT NULL,
                        quantity INTEGER NOT NULL,
                        PRIMARY KEY (sku, location)
                    ) WITHOUT ROWID;

                    -- Open conflicts of a kind at a cell (the background pass asks per cell).
                    CREATE INDEX conflicts_open_by_cell ON conflicts(kind, sku, location) WHERE resolved_hlc IS NULL;

                    -- Rights to promise a cell's units granted to each channel (section 10.6):
                    -- grants minus returns.
                    CREATE TABLE allowances (
                        sku TEXT NOT NULL,
                        location TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        granted INTEGER NOT NULL,
                        PRIMARY KEY (sku, location, channel)
                    ) WITHOUT ROWID;

                    -- Units received against purchase orders with their cost, per cell: the
                    -- average cost of section 10.7 (cents).
                    CREATE TABLE cell_costs (
                        sku TEXT NOT NULL,
                        location TEXT NOT NULL,
                        units INTEGER NOT NULL,
                        total_cents INTEGER NOT NULL,
                        PRIMARY KEY (sku, location)
                    ) WITHOUT ROWID;

                    -- Supplier registers (section 10.8): per supplier ('' sku) or supplier item,
                    -- each field last-writer-wins; value as JSON.
                    CREATE TABLE supplier_registers (
                        supplier TEXT NOT NULL,
                        sku TEXT NOT NULL,
                        field INTEGER NOT NULL,
                        value TEXT NOT NULL,
                        hlc INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        PRIMARY KEY (supplier, sku, field)
                    ) WITHOUT ROWID;

                    -- Top-up policies, last writer wins per (scope, channel) (rule A3).
                    CREATE TABLE allowance_policies (
                        scope TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        share_percent INTEGER NOT NULL,
                        keep INTEGER NOT NULL,
                        hlc INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        PRIMARY KEY (scope, channel)
                    ) WITHOUT ROWID;

                    -- Webhook deliveries from integrations (Shopify), by the sender's delivery
                    -- id: what was answered, so a redelivery is recognised and an operator
                    -- sees what was refused and why. Bookkeeping, not derived from the log.
                    CREATE TABLE webhook_deliveries (
                        id TEXT PRIMARY KEY,
                        source TEXT NOT NULL,
                        topic TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        status INTEGER NOT NULL,
                        detail TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries(received_at);

                    -- A store of protocol 1 was sent only version-1 ops by a newer hub: pull
                    -- everything again once (dedup by op id makes it safe), so the events it
                    -- was not sent reach it now.
                    UPDATE sync_peers SET cursor = 0, epoch = '';
                    """)
        }
        migrator.registerMigration("v6-alerts-replenishment-outbox") { db in
            // Section 11 of sync-protocol: settings registers, alert episodes, the outbox.
            try db.execute(
                sql: """
                    -- Setting registers (op kind `setting`), last writer wins per (namespace, key);
                    -- a cleared register keeps its stamp with a NULL value.
                    CREATE TABLE settings (
                        namespace INTEGER NOT NULL,
                        key TEXT NOT NULL,
                        value TEXT,
                        hlc INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        PRIMARY KEY (namespace, key)
                    ) WITHOUT ROWID;

                    -- Per cell and alert kind, the episode open now (none: the rule is armed).
                    CREATE TABLE alert_cells (
                        sku TEXT NOT NULL,
                        location TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        episode TEXT NOT NULL,
                        PRIMARY KEY (sku, location, kind)
                    ) WITHOUT ROWID;

                    -- Alert episodes (section 11.2): from a downward crossing to the recovery
                    -- above threshold + hysteresis. Derived while ops are applied, in their
                    -- transaction, on every node.
                    CREATE TABLE alert_episodes (
                        id TEXT PRIMARY KEY,
                        kind TEXT NOT NULL,
                        sku TEXT NOT NULL,
                        location TEXT NOT NULL,
                        rule TEXT NOT NULL,
                        state TEXT NOT NULL,
                        threshold INTEGER NOT NULL,
                        opened_value INTEGER NOT NULL,
                        crossing_origin TEXT NOT NULL,
                        crossing_seq INTEGER NOT NULL,
                        opened_at INTEGER NOT NULL,
                        closed_at INTEGER,
                        closed_value INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX alert_episodes_by_time ON alert_episodes(opened_at);

                    -- The outbox (section 11.7): one row per message to one recipient, written in
                    -- the transaction of the op that caused it; the id makes it once only.
                    CREATE TABLE outbox (
                        id TEXT PRIMARY KEY,
                        recipient TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        address TEXT NOT NULL,
                        topic TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        episode TEXT,
                        document TEXT,
                        status TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        due_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        batch TEXT,
                        last_error TEXT,
                        finished_at INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX outbox_due ON outbox(status, due_at);
                    CREATE INDEX outbox_by_batch ON outbox(batch) WHERE batch IS NOT NULL;

                    -- Every delivery attempt and what the other end answered.
                    CREATE TABLE outbox_attempts (
                        message TEXT NOT NULL,
                        attempt INTEGER NOT NULL,
                        at INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        PRIMARY KEY (message, attempt)
                    ) WITHOUT ROWID;

                    -- A store of protocol 2 was not sent setting ops: pull everything again once.
                    UPDATE sync_peers SET cursor = 0, epoch = '';
                    """)
        }
        migrator.registerMigration("v7-business-time-and-ledger") { db in
            // Section 12 of sync-protocol: business facts on ops, the daily cell ledger,
            // stockout spans and forecasts.
            try db.execute(
                sql: """
                    ALTER TABLE ops ADD COLUMN occurred_at INTEGER;
                    ALTER TABLE ops ADD COLUMN unit_cost INTEGER;
                    ALTER TABLE ops ADD COLUMN unit_price INTEGER;
                    ALTER TABLE quarantined_ops ADD COLUMN occurred_at INTEGER;
                    ALTER TABLE quarantined_ops ADD COLUMN unit_cost INTEGER;
                    ALTER TABLE quarantined_ops ADD COLUMN unit_price INTEGER;

                    -- Per business day (UTC) and cell, the movements summed (CellLedger).
                    -- Keyed by day first: today's rows are the ones written, at the end.
                    CREATE TABLE cell_days (
                        day INTEGER NOT NULL,
                        location TEXT NOT NULL,
                        sku TEXT NOT NULL,
                        sold INTEGER NOT NULL DEFAULT 0,
                        returned INTEGER NOT NULL DEFAULT 0,
                        received INTEGER NOT NULL DEFAULT 0,
                        adjusted INTEGER NOT NULL DEFAULT 0,
                        damaged INTEGER NOT NULL DEFAULT 0,
                        transferred INTEGER NOT NULL DEFAULT 0,
                        counted INTEGER NOT NULL DEFAULT 0,
                        net INTEGER NOT NULL DEFAULT 0,
                        priced_units INTEGER NOT NULL DEFAULT 0,
                        priced_cents INTEGER NOT NULL DEFAULT 0,
                        received_costed INTEGER NOT NULL DEFAULT 0,
                        received_cost INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (day, location, sku)
                    ) WITHOUT ROWID;

                    -- The same per business day and location, for reports by period and store.
                    CREATE TABLE location_days (
                        day INTEGER NOT NULL,
                        location TEXT NOT NULL,
                        sold INTEGER NOT NULL DEFAULT 0,
                        returned INTEGER NOT NULL DEFAULT 0,
                        received INTEGER NOT NULL DEFAULT 0,
                        adjusted INTEGER NOT NULL DEFAULT 0,
                        damaged INTEGER NOT NULL DEFAULT 0,
                        transferred INTEGER NOT NULL DEFAULT 0,
                        counted INTEGER NOT NULL DEFAULT 0,
                        net INTEGER NOT NULL DEFAULT 0,
                        priced_units INTEGER NOT NULL DEFAULT 0,
                        priced_cents INTEGER NOT NULL DEFAULT 0,
                        received_costed INTEGER NOT NULL DEFAULT 0,
                        received_cost INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (day, location)
                    ) WITHOUT ROWID;

                    -- Running totals of cell_days per cell at the end of each month (month =
                    -- months since 1970-01), for reports: a period's totals are two rows per
                    -- cell and the days at its ends. A cache of cell_days, rolled up on demand;
                    -- ledger_rolled lists the months whose rows are valid.
                    CREATE TABLE cell_cumulative (
                        month INTEGER NOT NULL,
                        location TEXT NOT NULL,
                        sku TEXT NOT NULL,
                        sold INTEGER NOT NULL,
                        returned INTEGER NOT NULL,
                        received INTEGER NOT NULL,
                        adjusted INTEGER NOT NULL,
                        damaged INTEGER NOT NULL,
                        transferred INTEGER NOT NULL,
                        counted INTEGER NOT NULL,
                        net INTEGER NOT NULL,
                        priced_units INTEGER NOT NULL,
                        priced_cents INTEGER NOT NULL,
                        received_costed INTEGER NOT NULL,
                        received_cost INTEGER NOT NULL,
                        last_sale_day INTEGER,
                        last_receipt_day INTEGER,
                        PRIMARY KEY (month, location, sku)
                    ) WITHOUT ROWID;
                    CREATE TABLE ledger_rolled (month INTEGER PRIMARY KEY);

                    -- Spans at zero on hand or below, from the op that emptied the cell to the
                    -- one that refilled it (NULL: still out), in business time.
                    CREATE TABLE stockouts (
                        sku TEXT NOT NULL,
                        location TEXT NOT NULL,
                        started_at INTEGER NOT NULL,
                        started_by TEXT NOT NULL,
                        ended_at INTEGER,
                        PRIMARY KEY (sku, location, started_at)
                    ) WITHOUT ROWID;

                    -- Daily demand forecasts, refreshed in the background (not derived from the
                    -- log alone: they depend on when they were fitted).
                    CREATE TABLE forecasts (
                        sku TEXT NOT NULL,
                        location TEXT NOT NULL,
                        as_of INTEGER NOT NULL,
                        model TEXT NOT NULL,
                        daily TEXT NOT NULL,
                        level REAL NOT NULL,
                        sigma REAL NOT NULL,
                        fitted_at INTEGER NOT NULL,
                        PRIMARY KEY (sku, location)
                    ) WITHOUT ROWID;

                    -- A store of protocol 3 was not sent review settings: pull everything again once.
                    UPDATE sync_peers SET cursor = 0, epoch = '';
                    -- The ledger is filled by replaying the log once, on the next open.
                    INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_pending', 'v7');
                    """)
        }
        migrator.registerMigration("v8-users-and-web-sessions") { db in
            // Issue #15: people who sign in to the dashboard, their sessions, and when each
            // API token was last used (the Settings page lists it).
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        name TEXT PRIMARY KEY,
                        display_name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        password_hash TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        password_changed_at INTEGER NOT NULL,
                        disabled_at INTEGER,
                        last_sign_in_at INTEGER
                    ) WITHOUT ROWID;
                    -- Sessions as hummingbird-auth's SessionStorage keeps them (a key-value
                    -- store with expiry): the key holds the random session id.
                    CREATE TABLE web_sessions (
                        key TEXT PRIMARY KEY,
                        value BLOB NOT NULL,
                        expires_at INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
                    ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;

                    -- Search by any part of a SKU or name (the dashboard's search as you
                    -- type) without reading every item: a trigram index, contentless (the
                    -- text lives in items), keyed through item_keys since items has no rowid.
                    -- Kept by triggers, so every path that writes items keeps it.
                    CREATE TABLE item_keys (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE);
                    -- The inventory list's sort by name, and its count of live items (all
                    -- items, which SQLite counts from a small index, less the deleted ones,
                    -- which are few), without reading every item. No index on (alive, sku):
                    -- without statistics the planner drove joins of barcodes and items from
                    -- it, one pass over the catalogue per lookup.
                    CREATE INDEX items_by_name ON items (name COLLATE NOCASE, sku);
                    CREATE INDEX items_deleted ON items (sku) WHERE alive = 0;
                    CREATE VIRTUAL TABLE item_search USING fts5(text, content='', tokenize='trigram');
                    -- The text of an item in the index is `SKU NAME` exactly when its name is
                    -- not empty (an item is created bare, then named: one index write, not three).
                    CREATE TRIGGER items_search_insert AFTER INSERT ON items WHEN new.name != '' BEGIN
                        INSERT OR IGNORE INTO item_keys (sku) VALUES (new.sku);
                        INSERT INTO item_search (rowid, text)
                            SELECT id, new.sku || ' ' || new.name FROM item_keys WHERE sku = new.sku;
                    END;
                    CREATE TRIGGER items_search_update AFTER UPDATE OF name ON items WHEN old.name != new.name BEGIN
                        INSERT OR IGNORE INTO item_keys (sku) VALUES (new.sku);
                        INSERT INTO item_search (item_search, rowid, text)
                            SELECT 'delete', id, old.sku || ' ' || old.name FROM item_keys
                            WHERE sku = old.sku AND old.name != '';
                        INSERT INTO item_search (rowid, text)
                            SELECT id, new.sku || ' ' || new.name FROM item_keys
                            WHERE sku = new.sku AND new.name != '';
                    END;
                    CREATE TRIGGER items_search_delete AFTER DELETE ON items WHEN old.name != '' BEGIN
                        INSERT INTO item_search (item_search, rowid, text)
                            SELECT 'delete', id, old.sku || ' ' || old.name FROM item_keys WHERE sku = old.sku;
                    END;
                    INSERT INTO item_keys (sku) SELECT sku FROM items WHERE name != '';
                    INSERT INTO item_search (rowid, text)
                        SELECT k.id, i.sku || ' ' || i.name FROM items i JOIN item_keys k ON k.sku = i.sku;
                    """)
        }
        migrator.registerMigration("v9-alert-recipients") { db in
            // Issue #15: recipients of alert messages added in Settings, beside the notify
            // file's. Local to the delivering node (addresses stay where messages are sent
            // from), so not ops. Lists are newline-separated (categories are one line each).
            try db.execute(
                sql: """
                    CREATE TABLE alert_recipients (
                        id TEXT PRIMARY KEY,
                        channel TEXT NOT NULL,
                        address TEXT NOT NULL,
                        role TEXT,
                        locations TEXT NOT NULL,
                        categories TEXT NOT NULL,
                        kinds TEXT NOT NULL,
                        digest TEXT NOT NULL,
                        set_by TEXT NOT NULL,
                        set_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v10-user-versions") { db in
            // Issue #16: hub processes over one PostgreSQL database share their users,
            // last writer wins per user (UserRecord). Users made before keep version 0.
            try db.execute(
                sql: """
                    ALTER TABLE users ADD COLUMN version_ms INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE users ADD COLUMN version_node TEXT NOT NULL DEFAULT '';
                    """)
        }
        return migrator
    }

    /// The tables derived from the op log, in the order they can be emptied.
    static let materialisedTables = [
        "conflicts", "stock", "barcodes", "item_registers", "items", "documents", "document_events", "document_cells",
        "unavailable", "allowances", "allowance_policies", "cell_costs", "supplier_registers", "settings",
        "cell_days", "location_days", "stockouts", "cell_cumulative", "ledger_rolled",
    ]
    // Note: sync_coverage and sync_peers are bookkeeping of what was received, not state
    // derived from the log, so a rebuild keeps them. So are alert episodes and the outbox:
    // what was announced stays announced.
}
