import ArgumentParser
import Configuration
import Foundation
import Logging
import StockroomCore
import StockroomServer
import SystemPackage

/// Options every subcommand shares, and how flags, environment and config file combine:
/// a flag wins over `STOCKROOM_*` environment variables, which win over the JSON config
/// file (`--config` or `STOCKROOM_CONFIG`), which wins over the defaults.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "The node's data folder (default ./stockroom-data).")
    var data: String?

    @Option(
        name: .long,
        help:
            "A JSON config file; keys: listen, data, node, role, synchronous, hub, hub_token, hub_ca, tls_cert, tls_key, peers, location_grants, shopify, notify, replenish_every, forecast_every, backup_dir, backup_every, backup_keep, web, database, snapshot_history_days, history_days, compact_delay_days, idle_timeout, log_level, log_format."
    )
    var config: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Option(
        name: .long,
        help: "Log format on stderr: text (default) or json (one object per line, for log shippers).")
    var logFormat: String?

    /// Reads environment and config file; flags are applied by the caller on top.
    func reader() async throws -> ConfigReader {
        let environment = EnvironmentVariablesProvider()
        let configPath = config ?? ProcessInfo.processInfo.environment["STOCKROOM_CONFIG"]
        var providers: [any ConfigProvider] = [
            KeyMappingProvider(upstream: environment) { key in key.prepending(["stockroom"]) }
        ]
        if let configPath {
            try Self.checkConfigFile(configPath)
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(configPath)))
            } catch {
                throw ValidationError("cannot read config file \(configPath): \(error)")
            }
        }
        return ConfigReader(providers: providers)
    }

    /// The config file's keys and the JSON type each must have.
    static let configKeys: [String: ConfigValueKind] = [
        "listen": .string, "data": .string, "node": .string, "role": .string, "synchronous": .string,
        "hub": .string, "hub_token": .string, "hub_ca": .string, "tls_cert": .string, "tls_key": .string,
        "log_level": .string, "log_format": .string, "idle_timeout": .number, "peers": .strings,
        "location_grants": .strings,
        "shopify": .string, "notify": .string, "replenish_every": .number, "forecast_every": .number,
        "web": .boolean, "backup_dir": .string, "backup_every": .number, "backup_keep": .number,
        "database": .string, "snapshot_history_days": .number,
        "history_days": .number, "compact_delay_days": .number,
    ]

    enum ConfigValueKind {
        case string, number, strings, boolean
        var phrase: String {
            switch self {
            case .string: "a string"
            case .number: "a number"
            case .strings: "an array of strings"
            case .boolean: "true or false"
            }
        }
    }

    /// Refuses a config file the node would misread: not a JSON object, an unknown key (a
    /// typo would otherwise leave the default in force without a word), or a value of the
    /// wrong type (`"listen": 18099` started the node on the default address). Finding 18
    /// of issue #11.
    static func checkConfigFile(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read config file \(path): it does not exist or this user may not read it")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ValidationError("config file \(path) is not a JSON object like {\"listen\": \"127.0.0.1:8080\"}")
        }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let kind = configKeys[key] else {
                throw ValidationError(
                    "config file \(path): unknown key '\(key.prefix(64))'; known keys: \(configKeys.keys.sorted().joined(separator: ", "))"
                )
            }
            let fits =
                switch kind {
                case .string: value is String
                case .number: value is NSNumber && !(value is Bool) && !(value is String)
                case .strings: (value as? [Any])?.allSatisfy { $0 is String } ?? false
                case .boolean: value is Bool
                }
            guard fits else { throw ValidationError("config file \(path): '\(key)' must be \(kind.phrase)") }
        }
    }

    func dataDirectory(_ reader: ConfigReader) -> String {
        data ?? reader.string(forKey: "data", default: "./stockroom-data")
    }

    func bootstrapLogging(_ reader: ConfigReader) throws -> Logger {
        let name = logLevel ?? reader.string(forKey: "log_level", default: "info")
        guard let level = Logger.Level(rawValue: name) else {
            throw ValidationError(
                "log level '\(name)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        let format = logFormat ?? reader.string(forKey: "log_format", default: "text")
        switch format {
        case "text":
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case "json":
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        default:
            throw ValidationError("log format '\(format)' must be text or json")
        }
        var logger = Logger(label: "stockroom")
        logger.logLevel = level
        return logger
    }
}
