public import Foundation
public import StockroomCore

/// The shop's webhook secret and how its locations and SKUs map to this chain: the JSON
/// file given with `--shopify` (config key `shopify`). See README "Shopify".
///
///     {"secret": "…", "default_location": "store-1",
///      "locations": {"655441491": "store-1"}, "skus": {"IPOD2008GREEN": "ELE-000104"},
///      "backorder_when_short": true}
public struct ShopifyConfiguration: Sendable {
    /// The app's client secret (Shopify signs each webhook body with it).
    public var secret: [UInt8]
    public var mapping: ShopifyWebhook.Mapping
    /// An order Shopify already sold is taken as a backorder when the hub's rights at the
    /// cell are short (default), rather than refused: refusing it would not unsell it.
    public var backorderWhenShort: Bool

    public init(secret: [UInt8], mapping: ShopifyWebhook.Mapping, backorderWhenShort: Bool = true) {
        self.secret = secret
        self.mapping = mapping
        self.backorderWhenShort = backorderWhenShort
    }

    /// Reads and checks the file; the error says what to fix.
    public static func load(path: String) throws -> ShopifyConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid("cannot read the Shopify file \(path): it does not exist or this user may not read it")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Invalid("the Shopify file \(path) is not a JSON object")
        }
        let known: Set = ["secret", "default_location", "locations", "skus", "backorder_when_short"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw Invalid(
                "the Shopify file \(path): unknown key '\(unknown.prefix(64))'; known keys: \(known.sorted().joined(separator: ", "))"
            )
        }
        guard let secret = object["secret"] as? String, secret.utf8.count >= 16 else {
            throw Invalid("the Shopify file \(path) needs 'secret': the app's client secret (at least 16 characters)")
        }
        func map(_ key: String) throws -> [String: String] {
            guard let value = object[key] else { return [:] }
            guard let map = value as? [String: String] else {
                throw Invalid("the Shopify file \(path): '\(key)' must map strings to strings")
            }
            for (from, to) in map where InputRules.identifierProblem(to, name: key) != nil || from.isEmpty {
                throw Invalid("the Shopify file \(path): '\(key)' maps '\(from.prefix(64))' to an invalid value")
            }
            return map
        }
        let defaultLocation = object["default_location"] as? String
        if let defaultLocation, InputRules.identifierProblem(defaultLocation, name: "default_location") != nil {
            throw Invalid("the Shopify file \(path): 'default_location' is not a valid location")
        }
        return ShopifyConfiguration(
            secret: Array(secret.utf8),
            mapping: ShopifyWebhook.Mapping(
                locations: try map("locations"), skus: try map("skus"), defaultLocation: defaultLocation),
            backorderWhenShort: object["backorder_when_short"] as? Bool ?? true)
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
