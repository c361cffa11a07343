// swift-tools-version: 6.1
import PackageDescription

/// Tessera: an authentication engine whose state lives in memory and whose every mutation goes to a
/// write-ahead log. Dependencies point one way: Net → Social → Auth → Engine → WAL (a module may skip layers
/// below it), Cluster (the log replicated through PostgreSQL) on WAL, Bytes (wire text helpers) under Auth,
/// Social and Net, the CLI and Bench on top. Each target declares
/// exactly what it imports: `scripts/check-imports.py` (in `make test`) fails otherwise. What crosses modules is
/// `package`; `public` only what the microbenchmarks (Benchmarks/, a package of their own) call.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "tessera",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
        .executable(name: "Bench", targets: ["Bench"]),
        .library(name: "WAL", targets: ["WAL"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Auth", targets: ["Auth"]),
        .library(name: "Social", targets: ["Social"]),
        .library(name: "Net", targets: ["Net"]),
        .library(name: "Bytes", targets: ["Bytes"]),
        .library(name: "Cluster", targets: ["Cluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already built for async-http-client: named for the outgoing TLS configuration (extra trust roots).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The cluster's replicated log and leader lease live in PostgreSQL (issue 17).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // liburing's inline helpers, imported through a module map (Debian's liburing has no -ffi variant).
        .systemLibrary(
            name: "CLiburing",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        // CRC32C (Castagnoli) with the SSE4.2 instruction where the CPU has it, a table otherwise.
        .target(name: "CCRC32C"),
        .target(
            name: "WAL",
            dependencies: ["CLiburing", "CCRC32C"],
            swiftSettings: strictSettings
        ),
        // The cluster: the log's batches and the leader's lease in PostgreSQL.
        .target(
            name: "Cluster",
            dependencies: [
                "Engine", "WAL", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Text and bytes on the wire, shared by Auth, Social and Net: base64url, JSON strings, form encoding.
        .target(
            name: "Bytes",
            dependencies: [.product(name: "ExtrasBase64", package: "swift-extras-base64")],
            swiftSettings: strictSettings
        ),
        // Users, sessions and their records: pure domain state in shard actors, logged through WAL.
        .target(
            name: "Engine",
            dependencies: ["WAL"],
            swiftSettings: strictSettings
        ),
        // Credentials: access tokens (JWT), refresh tokens, password hashing off the shards.
        .target(
            name: "Auth",
            dependencies: [
                "Bytes",
                "Engine",
                "WAL",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            swiftSettings: strictSettings
        ),
        // Tessera as a client of other servers over AsyncHTTPClient: social login providers (OpenID Connect,
        // GitHub) and client ID metadata documents.
        .target(
            name: "Social",
            dependencies: [
                "Auth", "Bytes", "Engine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // HTTP/1.1 on SwiftNIO with a small router of our own: the contract of API.md.
        .target(
            name: "Net",
            dependencies: [
                "Auth",
                "Bytes",
                "Engine",
                "Social",
                "WAL",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "WAL",
                "Engine",
                "Auth",
                "Bytes",
                "Net",
                "Social",
                "Cluster",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "WAL",
                "Engine",
                "Auth",
                "Net",
                "Cluster",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSettings
        ),
        // A child process for the crash tests: appends records and prints every acknowledged LSN.
        .executableTarget(
            name: "WALCrashChild",
            dependencies: ["WAL"],
            path: "Tests/WALCrashChild",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NetTests",
            dependencies: [
                "Net", "Auth", "Engine", "Social", "WAL", "tessera", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BenchTests",
            dependencies: ["Bench"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AuthTests",
            dependencies: [
                "Auth", "Bytes", "Engine", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BytesTests",
            dependencies: ["Bytes"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SocialTests",
            dependencies: [
                "Social", "Bytes", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EngineTests",
            dependencies: ["Engine", "WAL"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "Cluster", "Engine", "WAL", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WALTests",
            dependencies: ["WAL", "WALCrashChild", "tessera"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
