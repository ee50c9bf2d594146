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
        help: "A JSON config file; keys: listen, data, node, role, synchronous, hub, hub_token, peers, log_level.")
    var config: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    /// Reads environment and config file; flags are applied by the caller on top.
    func reader() async throws -> ConfigReader {
        let environment = EnvironmentVariablesProvider()
        let configPath = config ?? ProcessInfo.processInfo.environment["STOCKROOM_CONFIG"]
        var providers: [any ConfigProvider] = [
            KeyMappingProvider(upstream: environment) { key in key.prepending(["stockroom"]) }
        ]
        if let configPath {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(configPath)))
            } catch {
                throw ValidationError("cannot read config file \(configPath): \(error)")
            }
        }
        return ConfigReader(providers: providers)
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
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "stockroom")
        logger.logLevel = level
        return logger
    }
}
