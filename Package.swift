// swift-tools-version:6.1
import PackageDescription

/// One settings list for every target: Swift 6 language mode (the tools default) plus the
/// upcoming features that keep existentials explicit.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "flowgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flowgate", targets: ["flowgate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
    ],
    targets: [
        .target(
            name: "JSON", swiftSettings: swiftSettings,
            // `rounded()` comes from libm, which Foundation-free executables do not link otherwise.
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]
        ),
        .target(
            name: "Store",
            dependencies: [
                "JSON",
                // For the SQLite library it builds (module VaporCSQLite, symbols prefixed
                // `sqlite_nio_`), which `SQLiteConnection` calls directly.
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Policy", dependencies: ["JSON"], swiftSettings: swiftSettings),
        // Debian's libjq 1.6 has no .pc file: the module map links `jq` itself.
        .systemLibrary(name: "CJQ", providers: [.apt(["libjq-dev", "libonig-dev"])]),
        // Debian's libsqlite3 for the SQL node: it keeps the progress handler and heap limit that
        // sqlite-nio's bundled copy compiles out. Never import it and VaporCSQLite in one Swift file.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "Secrets",
            dependencies: [
                "JSON", "Store",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // libxmlsec1 (OpenSSL backend) through pkg-config: SwiftPM passes its -I and -l flags on
        // (and drops its -D flags, which the CXMLSec header defines itself).
        .systemLibrary(name: "CLibXMLSec", pkgConfig: "xmlsec1-openssl", providers: [.apt(["libxmlsec1-dev", "pkg-config"])]),
        // A Foundation-free C shim over libxml2/xmlsec for SAML: parsing with limits, signature
        // verification against configured certificates only, and the facts read from the signed element.
        .target(name: "CXMLSec", dependencies: ["CLibXMLSec"], linkerSettings: [.linkedLibrary("z")]),
        .target(
            name: "Identity",
            dependencies: [
                "JSON", "Store", "Secrets", "Policy", "CXMLSec",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Engine",
            dependencies: [
                "JSON", "Store", "Secrets", "Policy", "CJQ", "CSQLite",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "JSON", "Store", "Policy", "Secrets", "Identity", "Engine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/openapi.json")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "flowgate",
            dependencies: [
                "Gateway", "Engine", "Policy", "Secrets", "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "flowgate-bench", dependencies: ["JSON", "Store", "Secrets", "Engine", "Policy", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cedar-bench", dependencies: ["Policy", "JSON"], exclude: ["cedarpy_bench.py"], swiftSettings: swiftSettings
        ),
        .target(
            name: "FlowgateTesting",
            dependencies: [
                "Gateway", "Identity", "Secrets", "Store", "JSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/FlowgateTesting",
            swiftSettings: swiftSettings
        ),
        // Test targets list every module of ours they import: one reached only through another is not
        // tracked by incremental builds, which then link tests compiled against a stale layout.
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: swiftSettings),
        .testTarget(name: "StoreTests", dependencies: ["Store", "JSON", "FlowgateTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "JSON", "FlowgateTesting"], exclude: ["cedar_oracle.py"], swiftSettings: swiftSettings),
        .testTarget(name: "SecretsTests", dependencies: ["Secrets", "Store", "JSON", "FlowgateTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IdentityTests",
            dependencies: [
                "Identity", "JSON", "Store", "Secrets", "FlowgateTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Apart from IdentityTests: it imports the xmlsec declarations (libxml2 + ICU), which
        // must not meet Foundation in one module.
        .testTarget(name: "CXMLSecTests", dependencies: ["CXMLSec"], swiftSettings: swiftSettings),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Store", "Policy", "JSON", "FlowgateTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "JSON", "FlowgateTesting", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Gateway", "Engine", "Identity", "Secrets", "Store", "JSON", "FlowgateTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
