// swift-tools-version:6.2
import Foundation
import PackageDescription

// CI builds with LOYALTY_STRICT=1: every warning in our own targets is an error there,
// while a developer's edit-compile loop stays forgiving.
let strict = ProcessInfo.processInfo.environment["LOYALTY_STRICT"] == "1"
// MemberImportVisibility: a file sees only the members of modules it imports itself, so an
// edge used by the code is an edge declared here (scripts/check-modules.py checks the rest).
let settings: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")] + (strict ? [.treatAllWarnings(as: .error)] : [])

/// What the fuzz harnesses (Fuzz/Harnesses) need, as a test target or as the fuzzer.
let fuzzHarnessDependencies: [Target.Dependency] = [
    "Gateway", "LoyaltyWire", "Programme",
    .product(name: "HTTPTypes", package: "swift-http-types"),
    .product(name: "SwiftProtobuf", package: "swift-protobuf"),
]

let package = Package(
    name: "loyalty-clearing",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "loyalty", targets: ["loyalty"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // The gateway imports these directly; they come with hummingbird (same versions).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries from Debian, behind thin system-library targets.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // glibc's heap figures and the thread's CPU time, for `bench history`.
        .systemLibrary(name: "CProcessInfo"),

        // Wire contract: generated from proto/ (committed) plus small extensions.
        .target(
            name: "LoyaltyWire",
            dependencies: [
                "Programme",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        // Swift wrapper over librdkafka: producer, consumer, admin, mock cluster.
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        // Small helpers with no dependencies: hex, a seeded generator, money as decimal text.
        .target(name: "Basics", swiftSettings: settings),
        // Pure: programme configuration, validation, earning arithmetic, domain values.
        .target(name: "Programme", swiftSettings: settings),
        // The storage layer: an SQLite connection, statements, transactions and numbered
        // migrations, failing as the owning module's error. The only user of CSQLite.
        .target(name: "SQLite", dependencies: ["CSQLite"], swiftSettings: settings),
        // Shard snapshots kept in an object store (a directory to start with): put, list,
        // restore checked against a manifest. Knows no ledger: only files and keys.
        .target(
            name: "SnapshotStore",
            dependencies: ["Basics", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: settings
        ),
        // The ledger's archive files as bytes: canonical rows, zlib, durable writes (no SQL).
        .target(
            name: "LedgerArchive",
            dependencies: [
                "Basics", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // A shard's SQLite ledger and the rules that change it. No Kafka inside.
        .target(
            name: "Ledger",
            dependencies: [
                "LedgerArchive", "Programme", "SQLite",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // Pure netting, obligations, instruction planning and the settlement files as bytes.
        .target(
            name: "Clearing",
            dependencies: [
                "Basics", "Programme",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // Settlement files on disk: durable writing, the operator's key files, and the
        // verifier of a directory received from elsewhere.
        .target(
            name: "SettlementFiles",
            dependencies: [
                "Basics", "Clearing", "Programme",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // Runs a node's blocking loop on a dedicated thread under the service lifecycle.
        .target(
            name: "NodeRuntime",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        // The clearing node: cycles by barriers, position collection, checks, settlement.
        .target(
            name: "ClearingNode",
            dependencies: [
                "Clearing", "Kafka", "LoyaltyWire", "NodeRuntime", "Programme", "SettlementFiles", "SQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        // Pure: a deterministic synthetic coalition (demo traffic, benchmarks, tests).
        .target(name: "Simulation", dependencies: ["Basics", "Programme"], swiftSettings: settings),
        // Service loop: consume -> apply -> publish results, positions, dead letters.
        .target(
            name: "Worker",
            dependencies: [
                "Kafka", "Ledger", "LoyaltyWire", "NodeRuntime", "Programme", "SnapshotStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        // Partner HTTP ingress: signed requests, edge validation, publish-after-ack, results listener.
        .target(
            name: "Gateway",
            dependencies: [
                "Basics", "Kafka", "LoyaltyWire", "NodeRuntime", "Programme",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        // C SDK for partners' POS software: encodes TransactionEnvelopes with protobuf-c
        // (generated code committed under generated/) and publishes them with librdkafka,
        // keyed and partitioned exactly like the gateway. Debian: libprotobuf-c-dev,
        // librdkafka-dev.
        .target(
            name: "CLoyaltyPOS",
            cSettings: [
                // The generated .c files include "loyalty/v1/*.pb-c.h".
                .headerSearchPath("generated"),
                .unsafeFlags(["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"]),
            ],
            linkerSettings: [.linkedLibrary("protobuf-c"), .linkedLibrary("rdkafka")]
        ),
        // Sends one of each transaction kind through the C SDK (docs/pos-sdk.md).
        .executableTarget(
            name: "pos-example",
            dependencies: ["CLoyaltyPOS"],
            cSettings: [.unsafeFlags(["-std=c11", "-Wall", "-Wextra"])]
        ),
        // The workloads behind `loyalty bench …`, outside the production modules.
        .target(
            name: "Benchmarks",
            dependencies: [
                "Basics", "Clearing", "CProcessInfo", "Kafka", "Ledger", "NodeRuntime", "Programme", "SettlementFiles", "Simulation", "SnapshotStore", "SQLite",
                "Worker",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // The one CLI.
        .executableTarget(
            name: "loyalty",
            dependencies: [
                "Basics", "Benchmarks", "SettlementFiles", "Kafka", "Ledger", "LoyaltyWire", "NodeRuntime", "Programme", "Worker", "Clearing", "ClearingNode", "Simulation",
                "CLoyaltyPOS", "Gateway", "SnapshotStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),

        // Test support, for test targets only: the mock-cluster and gateway harnesses, child
        // processes, seeded workloads and the `.seeded` trait that names a failing test's seed.
        .target(
            name: "LoyaltyTesting",
            dependencies: [
                "Basics", "Gateway", "Kafka", "Ledger", "LoyaltyWire", "Programme", "Simulation", "Worker",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Tests/LoyaltyTesting",
            swiftSettings: settings
        ),
        .testTarget(name: "BasicsTests", dependencies: ["Basics"], swiftSettings: settings),
        .testTarget(name: "ProgrammeTests", dependencies: ["LoyaltyTesting", "Programme"], swiftSettings: settings),
        .testTarget(name: "LoyaltyTestingTests", dependencies: ["Basics", "LoyaltyTesting"], swiftSettings: settings),
        .testTarget(
            name: "LoyaltyWireTests",
            dependencies: [
                "LoyaltyTesting", "LoyaltyWire", "Programme", "Simulation",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "LoyaltyTesting"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: [
                "Basics", "Ledger", "LedgerArchive", "LoyaltyTesting", "Programme", "SQLite",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "ClearingTests",
            dependencies: [
                "Basics", "Benchmarks", "Clearing", "Programme", "SettlementFiles",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Basics", "LoyaltyTesting", "Gateway", "Worker", "Kafka", "LoyaltyWire", "Programme",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "POSInteropTests",
            dependencies: [
                "CLoyaltyPOS", "LoyaltyTesting", "LoyaltyWire", "Programme", "Kafka",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "ClearingNodeTests",
            dependencies: [
                "Clearing", "ClearingNode", "LoyaltyWire", "Programme",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        .testTarget(name: "SnapshotStoreTests", dependencies: ["SnapshotStore"], swiftSettings: settings),
        .testTarget(
            name: "WorkerTests",
            dependencies: [
                "Benchmarks", "LoyaltyTesting", "Worker", "Kafka", "Ledger", "LoyaltyWire", "Programme", "SnapshotStore",
                "ClearingNode", "NodeRuntime", "SettlementFiles",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        // Several nodes, processes or the CLI together on the mock cluster: workers handing
        // partitions over, worker processes killed, clearing cycles, `loyalty dev` and
        // `loyalty produce`. `swift test --filter EndToEndTests` runs just these.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Basics", "LoyaltyTesting", "Clearing", "ClearingNode", "Kafka", "Ledger", "LoyaltyWire", "Programme", "SettlementFiles",
                "Simulation", "SQLite", "SnapshotStore", "Worker", "loyalty",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        // The cluster as ops run it, every node a `loyalty` process: the chaos test (kills,
        // joins, leaves, SIGTERM) and the pipeline on an independent Kafka-protocol broker.
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "ClearingNode", "Gateway", "Kafka", "Ledger", "LoyaltyTesting", "LoyaltyWire", "Programme", "SettlementFiles", "Simulation",
                "Worker",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: settings
        ),
        // The fuzz harnesses' bodies as plain functions, run over the committed seed corpus
        // (Fuzz/corpus/<harness>/) so that an input that once crashed stays fixed.
        .testTarget(
            name: "FuzzCorpusTests",
            dependencies: fuzzHarnessDependencies,
            path: "Fuzz/Harnesses",
            exclude: ["Entry"],
            swiftSettings: settings
        ),
    ]
)

// scripts/fuzz.sh builds with LOYALTY_FUZZ=1 in .build-fuzz (`--sanitize=fuzzer`, debug, so
// that `@testable import` reaches the internal decoders): the same harnesses become one
// libFuzzer executable. The normal build never sees it (it has no `main`).
if ProcessInfo.processInfo.environment["LOYALTY_FUZZ"] == "1" {
    package.targets.removeAll { $0.name == "FuzzCorpusTests" }  // same sources
    package.targets.append(
        .executableTarget(
            name: "loyalty-fuzz",
            dependencies: fuzzHarnessDependencies,
            path: "Fuzz/Harnesses",
            exclude: ["Tests"],
            swiftSettings: settings
        ))
}
