// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "PgScorer",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pgscorer", targets: ["PgScorer"]),
        .library(name: "PgClient", targets: ["PgClient"]),
        .library(name: "Kernels", targets: ["Kernels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libpq, PostgreSQL's C client (Debian: libpq-dev); found through pkg-config.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(
            name: "PgClient",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Kernels"),
        .target(
            name: "Migrations",
            dependencies: [
                "PgClient",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "PgScorer",
            dependencies: [
                "PgClient", "Kernels", "Migrations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fresh-database helpers shared by the database test suites.
        .target(name: "TestSupport", dependencies: ["PgClient"], path: "Tests/TestSupport"),
        // Benchmarks against the baselines, driven by bench/run.
        .executableTarget(
            name: "pgscorer-bench",
            dependencies: [
                "PgClient", "Kernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/PgScorerBench"
        ),
        .testTarget(name: "PgClientTests", dependencies: ["PgClient", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "PgScorerTests",
            dependencies: [
                "PgScorer", "PgClient", "Migrations", "Kernels", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
