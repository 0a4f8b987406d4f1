// swift-tools-version:6.0
import PackageDescription

// The numeric kernels are built for x86-64 CPUs with AVX2 and FMA (Haswell, 2013, and
// later) so their SIMD8<Double> loops become vector instructions. Set
// PGSCORER_TARGET_CPU to another LLVM CPU name (e.g. skylake-avx512), or to "generic"
// for the baseline instruction set.
// The executable checks the CPU before anything else runs (KERNELS_NEED_AVX2_FMA) and
// names the build to use instead of dying with "Illegal instruction".
var kernelSettings: [SwiftSetting] = []
var executableSettings: [SwiftSetting] = []
#if arch(x86_64)
let targetCPU = Context.environment["PGSCORER_TARGET_CPU"] ?? "haswell"
if targetCPU != "generic" {
    kernelSettings.append(.unsafeFlags(["-target-cpu", targetCPU]))
    executableSettings.append(.define("KERNELS_NEED_AVX2_FMA"))
}
#endif

let package = Package(
    name: "PgScorer",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pgscorer", targets: ["PgScorerCLI"]),
        .library(name: "PgClient", targets: ["PgClient"]),
        .library(name: "Kernels", targets: ["Kernels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),  // already Hummingbird's; named for NIOCore.SocketAddress
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // libpq, PostgreSQL's C client (Debian: libpq-dev); found through pkg-config.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // libmosquitto, the MQTT client of the mosquitto project (Debian: libmosquitto-dev),
        // for the gateway's MQTT input.
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"]), .brew(["mosquitto"])]
        ),
        // zlib (Debian: zlib1g-dev), for request bodies the gateway receives gzipped.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "PgClient",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Kernels", swiftSettings: kernelSettings),
        .target(name: "Spawn"),
        .target(
            name: "Migrations",
            dependencies: [
                "PgClient",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The domain: queue, worker, scheduling, scoring, maintenance, ingest, models,
        // reports and the embedded cluster. Knows nothing of the command line.
        .target(
            name: "PgScorer",
            dependencies: [
                "PgClient", "Kernels", "Migrations", "Spawn", "CMosquitto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The web side: the dashboard pages, /metrics in Prometheus' format, /healthz and
        // /readyz. Renders what the library loads; holds no SQL of its own.
        .target(
            name: "PgScorerWeb",
            dependencies: [
                "PgScorer", "PgClient", "Migrations", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The `pgscorer` executable: commands that parse, call the library and print.
        .executableTarget(
            name: "PgScorerCLI",
            dependencies: [
                "PgScorer", "PgScorerWeb", "PgClient", "Kernels", "Migrations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: executableSettings
        ),
        // Fresh-database helpers shared by the database test suites.
        .target(name: "TestSupport", dependencies: ["PgClient", "Spawn"], path: "Tests/TestSupport"),
        // Benchmarks against the baselines, driven by bench/run.
        .executableTarget(
            name: "pgscorer-bench",
            dependencies: [
                "PgClient", "Kernels", "Spawn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/PgScorerBench",
            swiftSettings: kernelSettings
        ),
        .testTarget(name: "PgClientTests", dependencies: ["PgClient", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], exclude: ["Fixtures", "TrainerFixtures"]),
        .testTarget(
            name: "PgScorerTests",
            dependencies: [
                "PgScorer", "PgScorerCLI", "PgScorerWeb", "PgClient", "Migrations", "Kernels", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
