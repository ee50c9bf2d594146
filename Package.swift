// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "stockroom",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stockroom", targets: ["stockroom"]),
        // Test support: LD_PRELOAD into a real daemon to journal unsynced writes (power-cut tests).
        .library(name: "StockroomPowerCut", type: .dynamic, targets: ["StockroomPowerCut"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["JSON"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Pure model and merge rules: no I/O, no database, no sockets.
        .target(
            name: "StockroomCore",
            swiftSettings: swiftSettings
        ),
        // The one door to the SQLite database (GRDB).
        .target(
            name: "StockroomStore",
            dependencies: [
                "StockroomCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Sync: compression of the wire batches, sessions and transport.
        .target(
            name: "StockroomSync",
            dependencies: [
                "StockroomCore",
                "StockroomStore",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The hub's op log on PostgreSQL (issue #16): one implementation of `HubLog`; the
        // SQLite store is the other. Holds no merge rule: those stay in StockroomCore.
        .target(
            name: "StockroomPostgres",
            dependencies: [
                "StockroomCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP routes, middleware, the application builder.
        .target(
            name: "StockroomServer",
            dependencies: [
                "StockroomCore",
                "StockroomPostgres",
                "StockroomStore",
                "StockroomSync",
                "StockroomNotify",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The web dashboard's templates and vendored front-end files (Sources/StockroomServer/Web).
            resources: [.copy("Web/templates"), .copy("Web/static")],
            swiftSettings: swiftSettings
        ),
        // libcurl's SMTP client behind a small C function (curl_easy_setopt is variadic, which
        // Swift cannot call): e-mail for alerts and purchase orders.
        .target(
            name: "CStockroomCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        // Notifications: the channels (SMTP, Twilio-compatible SMS, Standard Webhooks,
        // Slack) and the service that delivers the outbox.
        .target(
            name: "StockroomNotify",
            dependencies: [
                "StockroomCore",
                "StockroomStore",
                "CStockroomCurl",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Seeded randomness and op generators shared by the test suites and the simulation.
        .target(
            name: "StockroomTesting",
            dependencies: [
                "StockroomCore", "StockroomStore", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The apply fuzzer (issue #11): replays inputs normally; Tests/Fuzz/run.sh builds it
        // with libFuzzer (`-sanitize=fuzzer,address -DFUZZING`).
        .executableTarget(
            name: "stockroom-fuzz-apply",
            dependencies: ["StockroomTesting"],
            swiftSettings: swiftSettings
        ),
        // Test support in C: a SQLite VFS shim that journals unsynced writes, so a test can
        // reproduce what a power cut leaves on disk (Tests/StockroomEndToEndTests/PowerCutTests.swift).
        .target(
            name: "StockroomPowerCut",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        // The executable: argument parsing and commands only.
        .executableTarget(
            name: "stockroom",
            dependencies: [
                "StockroomServer",
                "StockroomPostgres",
                "StockroomNotify",
                "StockroomSync",
                "StockroomStore",
                "StockroomCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmarks that drive real `stockroom` processes (see README "Benchmarks").
        .executableTarget(
            name: "stockroom-bench",
            dependencies: [
                "StockroomCore", "StockroomStore", "StockroomSync", "StockroomTesting", "StockroomPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StockroomCoreTests",
            dependencies: ["StockroomCore", "StockroomTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StockroomStoreTests",
            dependencies: [
                "StockroomStore", "StockroomCore", "StockroomTesting", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StockroomSyncTests",
            dependencies: ["StockroomSync", "StockroomStore", "StockroomCore", "StockroomTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StockroomServerTests",
            dependencies: [
                "StockroomServer", "StockroomStore", "StockroomCore", "StockroomTesting", "StockroomSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StockroomPostgresTests",
            dependencies: [
                "StockroomPostgres", "StockroomStore", "StockroomCore", "StockroomTesting", "StockroomServer",
                "StockroomSync",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StockroomEndToEndTests",
            dependencies: [
                "StockroomCore", "StockroomTesting", "StockroomSync",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
