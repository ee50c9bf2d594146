/// A request body that decoded as JSON but breaks a rule JSON types cannot express: an
/// identifier's shape, an unknown reason, a quantity out of range, a malformed price.
///
/// The HTTP layer answers it with 422 and `code`; `index` names the scan of a batch.
public struct InputError: Error, Hashable, Sendable {
    public var code: String
    public var message: String
    public var index: Int?

    public init(_ code: String, _ message: String, index: Int? = nil) {
        self.code = code
        self.message = message
        self.index = index
    }
}
