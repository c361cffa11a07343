// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// Tessera's microbenchmarks (package-benchmark), a package of their own so that the benchmark package and its
/// dependencies are built only by those who run them, never by the tests or CI:
///
///     cd Benchmarks && swift package benchmark
///
/// The parent directory is Tessera; a path dependency is named after its directory, whatever the clone is called.
let tessera = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "tessera-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        .executableTarget(
            name: "TesseraBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WAL", package: tessera),
                .product(name: "Engine", package: tessera),
                .product(name: "Auth", package: tessera),
                .product(name: "Net", package: tessera),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/TesseraBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
