import Foundation
import Testing

/// One isolated gate installation for one test: its own GATE_HOME, policy, keys and files.
/// Drives the built `gate` binary as a person or a script would.
final class Sandbox: @unchecked Sendable {
    static let binary: String = {
        if let b = ProcessInfo.processInfo.environment["GATE_BIN"] { return b }
        // The test bundle sits next to the products it was built with.
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = dir.appendingPathComponent("gate").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/gate").path
    }()

    let root: URL
    var home: String { root.appendingPathComponent("home").path }
    var policyPath: String { root.appendingPathComponent("etc/policy").path }
    var env: [String: String]

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gate-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": root.path, "GATE_HOME": root.appendingPathComponent("home").path,
               "GATE_POLICY": root.appendingPathComponent("etc/policy").path, "NO_COLOR": "1", "LANG": "C.UTF-8"]
    }

    deinit {
        // A gate process that is still shutting down can create a file while the tree is being
        // removed, leaving an empty directory behind; try again briefly.
        for _ in 0..<3 {
            if (try? FileManager.default.removeItem(at: root)) != nil, !FileManager.default.fileExists(atPath: root.path) { break }
            usleep(50_000)
        }
    }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// Written through a close-on-exec descriptor: a process another test spawns at that moment
    /// must not inherit it, or a script written here could not be executed (ETXTBSY) while
    /// that process lives.
    func write(_ name: String, _ text: String, mode: Int = 0o644) throws {
        let p = path(name)
        try? FileManager.default.removeItem(atPath: p)
        let fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o600))
        guard fd >= 0 else { throw SandboxError("cannot create \(p): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            guard n > 0 || (n < 0 && errno == EINTR) else { close(fd); throw SandboxError("cannot write \(p)") }
            if n > 0 { done += n }
        }
        close(fd)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: p)
    }

    func writePolicy(_ text: String, to name: String = "etc/policy") throws {
        try write(name, "version 1\n" + text, mode: 0o600)
    }

    typealias Output = Spawned.Output
    typealias Running = Spawned

    /// Starts gate in the background; `finish()` collects its status and output.
    func start(_ args: [String], env extra: [String: String] = [:], cwd: String? = nil, stdin: String? = nil) throws -> Running {
        try Spawned.start([Self.binary] + args, env: env.merging(extra) { $1 }, cwd: cwd ?? root.path, stdin: stdin)
    }

    @discardableResult
    func run(_ args: [String], env extra: [String: String] = [:], cwd: String? = nil, stdin: String? = nil) throws -> Output {
        try start(args, env: extra, cwd: cwd, stdin: stdin).finish()
    }

    /// Makes an approver key without a passphrase; returns its public key text.
    func keygen(_ name: String) throws -> String {
        let r = try run(["keygen", "--name", name, "--out", path("\(name).key"), "--no-passphrase"])
        #expect(r.status == 0, "keygen: \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until a request is pending (its requester alive and waiting) and returns its id.
    /// A sandbox whose policy names one approver, bob (his key in bob.key), and `rules`.
    static func withApprover(_ rules: String = "default require 1\n") throws -> (Sandbox, bob: String) {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\n" + rules)
        return (s, bob)
    }

    /// Starts `command` under gate and waits until its request is pending: (the requester, the id).
    func pendingRequest(_ command: [String]) throws -> (Spawned, String) {
        let requester = try start(["--"] + command)
        return (requester, try waitForPending())
    }

    /// `7K3FQ2XZ` (what JSON carries, SPEC.md §2.4) as people see it: `7K3F-Q2XZ`.
    static func displayed(_ compact: String) -> String {
        compact.count == 8 && !compact.contains("-") ? compact.prefix(4) + "-" + compact.suffix(4) : compact
    }

    /// The first pending request's id, in the displayed form gate prints on stderr.
    func waitForPending(timeout: TimeInterval = 20) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let r = try run(["list", "--json"])
            if let data = r.stdout.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
               let first = list.first(where: { $0["status"] as? String == "pending" }), let id = first["id"] as? String {
                return Self.displayed(id)
            }
            usleep(20_000)
        }
        throw SandboxError("no pending request appeared")
    }

    /// The ledger as `gate log --json` prints it (another state directory's with `home`).
    func ledger(home: String? = nil) throws -> [[String: Any]] {
        let r = try run(["log", "--json"], env: home.map { ["GATE_HOME": $0] } ?? [:])
        return r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func lastEntry() throws -> (kind: String, payload: [String: Any]) {
        let e = try ledger().last ?? [:]
        return (e["kind"] as? String ?? "", e["payload"] as? [String: Any] ?? [:])
    }

    /// A pending request whose requester is gone (killed), so tokens can be issued for it and
    /// presented later with --token, as an offline hand-over would.
    func abandonedRequest(_ command: [String], env extra: [String: String] = [:]) throws -> String {
        let r = try start(["--"] + command, env: extra)
        let id = try waitForPending()
        r.signal(SIGKILL)
        _ = r.finish()
        return id
    }
}

struct SandboxError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
