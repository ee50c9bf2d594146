/// A coding key named at run time: for answers whose keys depend on the resource (a
/// document's line keys by its kind, a supplier's fields).
struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
