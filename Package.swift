// swift-tools-version:6.0
import PackageDescription

// Module map of the product, lowest first. Each module says what it holds; the dependency graph
// below enforces the cuts, and Tests/LayoutTests checks that no file imports past them.
//
//   CSodium, CSQLite, CZlib  system libraries, each imported by exactly one wrapper.
//   CGateSpawn      gate's own C: fork, change credentials, exec (posix_spawn cannot change
//                   credentials, and after fork in a threaded process only system calls are safe).
//                   Imported only by GateSystem.
//   CGateSocket     gate's own C: descriptors over unix sockets, peer credentials. Only GateClient.
//   GateCrypto      typed libsodium: BLAKE2b, Ed25519, secretbox, Argon2id, random bytes.
//   GateSQLite      typed SQLite: Database, Statement. Imported only by GateStore.
//   GateCompression zlib deflate for stored context (provider outputs).
//   GateWire        wire formats: canonical encoding, tokens, statements, key lines. No I/O, no keys.
//   GateCore        the pure core: intent, digest, token signing and verification, policy, decisions,
//                   ledger chain and audit, refusal codes. No I/O.
//   GateSystem      the system layer: spawning, waiting, the terminal and pager, files, paths and file
//                   safety, key files, shell quoting, the environment, exit codes and failures. No SQL,
//                   no sockets, no policy decisions.
//   GateStore       the state directory's database: requests, ledger (payloads, text form, syslog
//                   mirror, verify), checkpoints, ledger key, export, evidence, schema migrations. The
//                   only module besides GateSQLite that speaks SQL, and it keeps GateSQLite internal.
//   GateClient      the HTTP/TLS client and the remote calls to a gate server: the only module of
//                   `gate` that opens a socket.
//   GateViews       what people and programs are shown: requests, policies, context (text and JSON).
//   GateFlows       the use cases: run (decide → obtain approval → launch), decide (approve, deny,
//                   review), the local and remote waits, intent and context capture, policy loading.
//   GateDaemon      `gate daemon`: the local service that owns the state and starts approved commands
//                   as the policy's user; one poll loop, a forked worker per client. It knows the
//                   socket and the process, not the flows: GateCLI hands it what a worker runs.
//   GateMCP         `gate mcp`'s protocol: JSON-RPC lines, the tools and their schemas, results. No I/O.
//   GateRun         `gate`'s hot path, parsed by hand, with no argument-parser: gate [run] [OPTIONS]
//                   -- CMD, gate hook claude-code; RunMain hands every other command line to
//                   gate-commands (argument-parser links FoundationEssentials, ~0.3 ms of every
//                   start: BENCHMARKS.md, issue 17).
//   GateCLI         argument-parser commands over the flows.
//   gate            the thin executable over GateRun.
//   gate-commands   the thin executable over GateCLI, installed beside gate.
//   GateServer      the remote broker (its decisions, writes and checkpoint copies in Broker/) and its
//                   HTTP app (Hummingbird 2): one builder for main and tests. It links the store and
//                   the views, never the client or the flows.
//   gate-server     its thin executable: a separate binary, because linking Hummingbird into `gate`
//                   would cost every command ~2 ms of start-up (BENCHMARKS.md, issue 5).
// Release builds link SQLite, libsodium, zlib and libstdc++ from their archives: each shared
// library costs every `gate` start its mapping, relocations and page faults (BENCHMARKS.md,
// issue 17). link/ holds one linker script per library, found before the system's .so.
// --no-export-dynamic undoes the -export-dynamic of the static Swift runtime's link flags: the
// executable's own symbols need not be in its dynamic symbol table, which the runtime's start-up
// (dladdr) otherwise walks whole.
let staticCLibraries: [LinkerSetting] = [
    .unsafeFlags(["-L\(Context.packageDirectory)/link", "-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "gate",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gate", targets: ["gate"]),
        .executable(name: "gate-commands", targets: ["gate-commands"]),
        .executable(name: "gate-server", targets: ["gate-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Already in the graph through Hummingbird: its HTTP part types, for ConnectionGuard.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
    ],
    targets: [
        .systemLibrary(name: "CSodium",
                       providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CSQLite",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // fork → credentials → exec for commands run as another user (posix_spawn cannot).
        .target(name: "CGateSpawn"),
        // SCM_RIGHTS and SO_PEERCRED for the daemon's socket (the CMSG macros do not import).
        .target(name: "CGateSocket"),
        .target(name: "GateCrypto", dependencies: ["CSodium"]),
        .target(name: "GateCompression", dependencies: ["CZlib"]),
        .target(name: "GateSQLite", dependencies: ["CSQLite"]),
        .target(name: "GateWire"),
        .target(name: "GateCore", dependencies: ["GateWire", "GateCrypto"]),
        .target(name: "GateSystem", dependencies: ["GateCore", "GateWire", "GateCrypto", "CGateSpawn"]),
        .target(name: "GateStore", dependencies: ["GateSystem", "GateCore", "GateWire", "GateCrypto", "GateSQLite", "GateCompression"]),
        .target(name: "GateClient", dependencies: ["GateStore", "GateSystem", "GateCore", "GateWire", "GateCrypto", "CGateSocket"]),
        .target(name: "GateViews", dependencies: ["GateStore", "GateSystem", "GateCore", "GateWire"]),
        .target(name: "GateFlows", dependencies: ["GateViews", "GateClient", "GateStore", "GateSystem", "GateCore", "GateWire", "GateCrypto"]),
        .target(name: "GateDaemon", dependencies: ["GateClient", "GateSystem", "GateCore", "GateWire"]),
        .target(name: "GateMCP", dependencies: ["GateWire"]),
        .target(name: "GateRun", dependencies: ["GateFlows", "GateViews", "GateClient", "GateStore", "GateSystem", "GateCore", "GateWire", "GateCrypto"]),
        .target(name: "GateCLI", dependencies: [
            "GateRun", "GateDaemon", "GateMCP", "GateFlows", "GateViews", "GateClient", "GateStore", "GateSystem", "GateCore", "GateWire", "GateCrypto",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "gate", dependencies: ["GateRun"], linkerSettings: staticCLibraries),
        .executableTarget(name: "gate-commands", dependencies: ["GateCLI"], linkerSettings: staticCLibraries),
        .target(name: "GateServer", dependencies: [
            "GateViews", "GateStore", "GateSystem", "GateCore", "GateWire", "GateCrypto",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ]),
        .executableTarget(name: "gate-server", dependencies: [
            "GateServer", "GateSystem",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: staticCLibraries),
        // Vectors/ holds data files read through #filePath, not bundled resources.
        .testTarget(name: "GateCoreTests", dependencies: ["GateCore", "GateWire", "GateCrypto"], exclude: ["Vectors"]),
        .testTarget(name: "GateSystemTests", dependencies: ["GateSystem", "GateCore"]),
        .testTarget(name: "GateStoreTests", dependencies: ["GateStore", "GateSQLite", "GateSystem", "GateCore", "GateWire"]),
        .testTarget(name: "GateClientTests", dependencies: ["GateClient", "GateStore", "GateSystem", "GateCore", "GateWire", "GateCrypto"]),
        .testTarget(name: "GateFlowsTests", dependencies: ["GateFlows", "GateCore", "GateCrypto", "GateWire"]),
        .testTarget(name: "GateMCPTests", dependencies: ["GateMCP", "GateWire"]),
        // Reads Package.swift and Sources/ only: the module cuts and file sizes hold.
        .testTarget(name: "LayoutTests"),
        // Drives the built `gate` binary as a user would.
        .testTarget(name: "GateE2ETests", dependencies: ["gate", "gate-commands", "gate-server", "GateCore", "GateWire"], exclude: ["Fixtures"]),
        // In-process router tests of the server app (the client signs their statements).
        .testTarget(name: "GateServerTests", dependencies: [
            "GateServer", "GateClient", "GateViews", "GateStore", "GateSystem", "GateCore", "GateWire", "GateCrypto",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
    ]
)
