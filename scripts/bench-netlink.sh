#!/usr/bin/env bash
# Issue 5 groundwork: what linking Hummingbird 2 (server) and AsyncHTTPClient (client) costs a
# command-line tool's start-up, before deciding whether `gate serve` and the client live in the
# `gate` binary. Builds a throwaway package in a temporary directory (first build: ~7 minutes on
# 2 cores) with four executables that only exit: argument-parser alone, + Hummingbird,
# + AsyncHTTPClient, + both; release, --static-swift-stdlib, as gate ships; then stripped copies.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh hyperfine
export PATH="/opt/swift/usr/bin:$PATH"
work=${NETLINK_WORK:-$(mktemp -d /tmp/gate-netlink.XXXXXX)}
mkdir -p "$work/Sources/"{without,hbonly,ahconly,withnet}
cat > "$work/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "netlink",
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(name: "without", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "hbonly", dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
        .executableTarget(name: "ahconly", dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .executableTarget(name: "withnet", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ]
)
SWIFT
printf 'import ArgumentParser\nimport Glibc\nexit(0)\n' > "$work/Sources/without/main.swift"
printf 'import Hummingbird\nimport Glibc\nif CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "serve" { let r = Router(); r.get("/") { _, _ in "ok" }; print(r) }\nexit(0)\n' > "$work/Sources/hbonly/main.swift"
printf 'import AsyncHTTPClient\nimport Glibc\nif CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "get" { print(HTTPClient.self) }\nexit(0)\n' > "$work/Sources/ahconly/main.swift"
printf 'import AsyncHTTPClient\nimport Hummingbird\nimport ArgumentParser\nimport Glibc\nif CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "serve" { let r = Router(); r.get("/") { _, _ in "ok" }; print(r, HTTPClient.self) }\nexit(0)\n' > "$work/Sources/withnet/main.swift"
( cd "$work" && time swift build -c release --static-swift-stdlib 2>&1 | tail -n 1 )
cd "$work"
for b in without hbonly ahconly withnet; do strip -o "$b.stripped" ".build/release/$b"; echo "$b: $(du -h .build/release/$b | cut -f1) ($(du -h $b.stripped | cut -f1) stripped)"; done
hyperfine -N --warmup 20 --runs 300 "./.build/release/without" "./.build/release/hbonly" "./.build/release/ahconly" "./.build/release/withnet" 2>&1 | grep -E "Benchmark|Time"
hyperfine -N --warmup 20 --runs 300 "./without.stripped" "./hbonly.stripped" "./ahconly.stripped" "./withnet.stripped" 2>&1 | grep -E "Benchmark|Time"
