/// The catalogue merge rules: one last-writer-wins register per (sku, field).
public enum CatalogueMerge {
    /// Rule C1 ("LWW fields"): the assignments of an op that win against the registers'
    /// current stamps. Ties cannot happen between distinct ops (stamps are unique); an op
    /// applied twice finds its own stamp and wins nothing, which makes apply idempotent.
    public static func winningAssignments(
        _ assignments: FieldAssignments, stamp: Stamp, currentStamps: [ItemField: Stamp]
    ) -> [(field: ItemField, value: FieldValue)] {
        assignments.filter { assignment in
            currentStamps[assignment.field].map { stamp > $0 } ?? true
        }
    }

    /// Rule C2 ("tombstones"): an item is visible when its `alive` register holds 1.
    ///
    /// Updates never write `alive`, so an update concurrent with or later than a delete
    /// does not resurrect the item; its values wait in their registers. Only a create
    /// stamped after the delete brings the item back, and a create assigns every field.
    public static func isAlive(_ alive: FieldValue?) -> Bool { alive?.int == 1 }
}
