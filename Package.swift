// swift-tools-version:6.0
import PackageDescription

// Module map of the product (one concept per target):
//   CSodium, CSQLite, CZlib  system libraries, each imported by exactly one wrapper
//   GateCrypto        typed libsodium API (BLAKE2b, Ed25519, secretbox, Argon2id, random)
//   GateSQLite        typed SQLite API (Database, Statement)
//   GateCompression   zlib deflate for stored context (provider outputs)
//   GateWire          wire formats: canonical encoding, tokens, key lines. No I/O, no keys.
//   GateCore          pure core: intent, digest, token signing/verification, policy, decisions
//   GateKit           the effects: state store, ledger, process spawning, terminal, files
//   GateCLI           argument-parser commands over GateKit
//   gate              the thin executable
//   GateServer        the remote broker's HTTP app (Hummingbird 2), one builder for main and tests
//   gate-server       its thin executable: a separate binary, because linking Hummingbird into
//                     `gate` would cost every command ~2 ms of start-up (BENCHMARKS.md, issue 5)
let package = Package(
    name: "gate",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gate", targets: ["gate"]),
        .executable(name: "gate-server", targets: ["gate-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium",
                       providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .target(name: "GateCrypto", dependencies: ["CSodium"]),
        .target(name: "GateCompression", dependencies: ["CZlib"]),
        .target(name: "GateSQLite", dependencies: ["CSQLite"]),
        .target(name: "GateWire"),
        .target(name: "GateCore", dependencies: ["GateWire", "GateCrypto"]),
        .target(name: "GateKit", dependencies: ["GateCore", "GateCrypto", "GateWire", "GateSQLite", "GateCompression"]),
        .target(name: "GateCLI", dependencies: [
            "GateKit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "gate", dependencies: ["GateCLI"]),
        .target(name: "GateServer", dependencies: [
            "GateKit",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "gate-server", dependencies: [
            "GateServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Vectors/ holds data files read through #filePath, not bundled resources.
        .testTarget(name: "GateCoreTests", dependencies: ["GateCore", "GateWire", "GateCrypto", "GateKit"],
                    exclude: ["Vectors"]),
        // Drives the built `gate` binary as a user would.
        .testTarget(name: "GateE2ETests", dependencies: ["gate", "gate-server", "GateCore", "GateWire"], exclude: ["Fixtures"]),
        // In-process router tests of the server app.
        .testTarget(name: "GateServerTests", dependencies: [
            "GateServer", "GateKit", "GateCore", "GateWire", "GateCrypto",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
    ]
)
