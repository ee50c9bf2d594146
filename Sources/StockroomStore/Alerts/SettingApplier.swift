import GRDB
import StockroomCore

/// Folds `setting` ops into the `settings` table: last writer wins per (namespace, key),
/// by (hlc, origin), like every register (section 11).
enum SettingApplier {
    /// Returns whether the op won its register (and so changed what the node holds).
    static func assign(_ setting: Setting, stamp: Stamp, db: Database) throws -> Bool {
        let namespace = Int64(setting.namespace.rawValue)
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT hlc, origin FROM settings WHERE namespace = ? AND key = ?"),
            arguments: [namespace, setting.key]),
            let origin = NodeID(row[1]), Stamp(hlc: HLC(packed: row[0]), origin: origin) > stamp
        {
            return false
        }
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO settings (namespace, key, value, hlc, origin) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [namespace, setting.key, setting.value, stamp.hlc.packed, stamp.origin.rawValue])
        return true
    }
}
