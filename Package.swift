// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// What every OpenStack API front-end module builds on.
let gatewayFrontEndDependencies: [Target.Dependency] = [
    "TricircleGateway", "TricircleCore", "TricircleStore", "TricircleJobs", "OpenStackModels", "OpenStackClient",
    .product(name: "Hummingbird", package: "hummingbird"),
    .product(name: "AsyncHTTPClient", package: "async-http-client"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "Crypto", package: "swift-crypto"),
    .product(name: "Logging", package: "swift-log"),
]

/// What every front-end's tests use: the harness (gateway + simulated cloud) and an HTTP client.
let frontEndTestDependencies: [Target.Dependency] = [
    "GatewayTestHarness", "TricircleGateway", "RegionSimulator", "OpenStackModels", "OpenStackClient",
    "TricircleTestSupport", "TricircleStore", "TricircleCore",
    .product(name: "AsyncHTTPClient", package: "async-http-client"),
    .product(name: "NIOCore", package: "swift-nio"),
]

let package = Package(
    name: "tricircle",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tricircle", targets: ["TricircleCLI"]),
        .executable(name: "tricircle-bench", targets: ["TricircleBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Domain types, configuration, errors: no I/O.
        .target(
            name: "TricircleCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // OpenStack wire payloads (Codable), shared by the gateway's clients and the simulator.
        .target(name: "OpenStackModels", swiftSettings: strict),
        // Typed HTTP clients for Keystone and the regional services.
        .target(
            name: "OpenStackClient",
            dependencies: [
                "OpenStackModels", "TricircleCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // SQL state store: SQLite by default, PostgreSQL when configured; one schema, versioned migrations.
        .target(
            name: "TricircleStore",
            dependencies: [
                "TricircleCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Helpers for tests and benchmarks: ephemeral SQLite files and PostgreSQL databases, a loopback TCP proxy,
        // a router served on a loopback port, a seeded random generator.
        .target(
            name: "TricircleTestSupport",
            dependencies: [
                "TricircleCore", "TricircleStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // Durable asynchronous cross-region work.
        .target(
            name: "TricircleJobs",
            dependencies: [
                "TricircleCore", "TricircleStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // HTTP front-ends: admin API and the OpenStack APIs at the top.
        .target(
            name: "TricircleGateway",
            dependencies: [
                "TricircleCore", "TricircleStore", "TricircleJobs", "OpenStackModels", "OpenStackClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        // The OpenStack API front-ends at the top, one module each, built on the gateway kit above.
        .target(name: "TricircleComputeAPI", dependencies: gatewayFrontEndDependencies, swiftSettings: strict),
        .target(name: "TricircleVolumeAPI", dependencies: gatewayFrontEndDependencies, swiftSettings: strict),
        .target(name: "TricircleImageAPI", dependencies: gatewayFrontEndDependencies, swiftSettings: strict),
        .target(name: "TricircleNetworkAPI", dependencies: gatewayFrontEndDependencies, swiftSettings: strict),
        .target(name: "TricircleDatabaseAPI", dependencies: gatewayFrontEndDependencies, swiftSettings: strict),
        // Assembly: which front-ends and job handlers a gateway process runs, wired to each other.
        .target(
            name: "TricircleServer",
            dependencies: [
                "TricircleGateway", "TricircleJobs", "TricircleCore",
                "TricircleComputeAPI", "TricircleVolumeAPI", "TricircleImageAPI", "TricircleNetworkAPI",
                "TricircleDatabaseAPI",
            ],
            swiftSettings: strict),
        // Tests only: the gateway with every front-end over a simulated cloud, on loopback ports.
        .target(
            name: "GatewayTestHarness",
            dependencies: [
                "TricircleServer", "TricircleGateway", "RegionSimulator", "TricircleTestSupport", "OpenStackClient",
                "OpenStackModels", "TricircleCore", "TricircleStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // OpenStack regions in one process, for tests, benchmarks and the sandbox.
        .target(
            name: "RegionSimulator",
            dependencies: [
                "OpenStackModels", "TricircleCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "TricircleCLI",
            dependencies: [
                "TricircleCore", "TricircleStore", "TricircleJobs", "TricircleGateway", "TricircleServer", "RegionSimulator",
                "OpenStackClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "TricircleBenchmarks",
            dependencies: [
                "TricircleCore", "TricircleStore", "TricircleJobs", "TricircleGateway", "TricircleServer", "RegionSimulator",
                "OpenStackClient", "TricircleTestSupport", "GatewayTestHarness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Job worker process for the job engine's multi-process tests (started by TricircleJobsTests).
        .executableTarget(
            name: "JobWorkerFixture",
            dependencies: [
                "TricircleCore", "TricircleStore", "TricircleJobs",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Fixtures/JobWorkerFixture",
            swiftSettings: strict),
        .testTarget(name: "TricircleCoreTests", dependencies: ["TricircleCore"]),
        .testTarget(name: "OpenStackModelsTests", dependencies: ["OpenStackModels", "TricircleTestSupport"]),
        .testTarget(name: "TricircleStoreTests", dependencies: ["TricircleStore", "TricircleTestSupport"]),
        .testTarget(name: "TricircleJobsTests", dependencies: ["TricircleJobs", "TricircleStore", "TricircleTestSupport"]),
        .testTarget(
            name: "RegionSimulatorTests",
            dependencies: [
                "RegionSimulator", "OpenStackClient",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .testTarget(
            name: "TricircleGatewayTests",
            dependencies: [
                "TricircleGateway", "RegionSimulator", "OpenStackClient", "TricircleStore", "TricircleTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(name: "TricircleComputeAPITests", dependencies: frontEndTestDependencies + ["TricircleComputeAPI"]),
        .testTarget(name: "TricircleVolumeAPITests", dependencies: frontEndTestDependencies + ["TricircleVolumeAPI"]),
        .testTarget(name: "TricircleImageAPITests", dependencies: frontEndTestDependencies + ["TricircleImageAPI"]),
        .testTarget(name: "TricircleNetworkAPITests", dependencies: frontEndTestDependencies + ["TricircleNetworkAPI"]),
        .testTarget(
            name: "DatabaseAPITests",
            dependencies: frontEndTestDependencies + [
                "TricircleDatabaseAPI",
                // ClusterMemberMatchingTests' ReversingTroveProxy is a small HTTP server (a JSON-rewriting double).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .testTarget(
            name: "FrontEndKitTests",
            dependencies: frontEndTestDependencies + [
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "SQLKit", package: "sql-kit"),
            ]),
    ]
)
