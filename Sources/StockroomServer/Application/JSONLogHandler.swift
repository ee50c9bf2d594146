public import Foundation
public import Logging

/// `--log-format json`: one JSON object per line on stderr, for log shippers (journald's
/// JSON export, Vector, Fluent Bit, Loki's promtail).
///
/// The same fields as the text format: `time` (UTC, milliseconds), `level`, `logger` (the
/// label), `message`, `source` and every metadata key as it is (dotted, e.g. `node.id`). A
/// metadata key that would clash with those is written under `metadata.KEY`. Each line is
/// one `write(2)`, so lines from several threads never interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (Data) -> Void

    static let reserved: Set<String> = ["time", "level", "logger", "message", "source"]

    public init(label: String, write: @escaping @Sendable (Data) -> Void = { FileHandle.standardError.write($0) }) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var object: [String: Any] = [
            "time": Self.timestamp(Date()), "level": event.level.rawValue, "logger": label,
            "message": "\(event.message)", "source": event.source,
        ]
        for (key, value) in merged {
            object[Self.reserved.contains(key) ? "metadata.\(key)" : key] = Self.json(value)
        }
        guard
            var line = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        line.append(0x0A)
        write(line)
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): "\(convertible)"
        case .array(let values): values.map(json)
        case .dictionary(let entries): entries.mapValues(json)
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }
}
