import Foundation
import Testing

/// A gate daemon run by the test (as root, as CI runs), with real unix users made for it:
/// an agent that asks, a deploy account that holds what the agent must not reach, and an
/// approver. Clients are started as those users with setpriv (which execs, so the pid the
/// test holds is gate's own).
final class DaemonRig: @unchecked Sendable {
    static let agent = "gate-t-agent", deploy = "gate-t-deploy", alice = "gate-t-alice"
    static var isRoot: Bool { getuid() == 0 }

    let s: Sandbox
    let socket: String
    let daemon: Spawned
    /// A directory every test user can enter: the agent's working directory.
    var work: String { s.path("work") }
    /// deploy's own directory (0700) and a secret in it (0600).
    var secret: String { s.path("deploy/secret.txt") }

    /// Makes the users (once per host; useradd is idempotent here), a sandbox with alice's key,
    /// `rules`, and starts the daemon on a socket in the sandbox.
    init(_ rules: String) throws {
        for u in [Self.agent, Self.deploy, Self.alice] {
            guard try Spawned.run(["id", u]).status != 0 else { continue }
            let r = try Spawned.run(["useradd", "--create-home", "--shell", "/bin/sh", u])
            // Two suites may race to make the same user: then it exists.
            let exists = try Spawned.run(["id", u]).status == 0
            if r.status != 0 && !exists { throw SandboxError("useradd \(u): \(r.stderr)") }
        }
        s = try Sandbox()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: s.root.path)
        try FileManager.default.createDirectory(atPath: s.path("work"), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        try FileManager.default.createDirectory(atPath: s.path("deploy"), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try s.write("deploy/secret.txt", "DEPLOY-ONLY-SECRET\n", mode: 0o600)
        _ = try Spawned.run(["chown", "-R", "\(Self.deploy):\(Self.deploy)", s.path("deploy")])
        // alice's key is hers: made by her, in a directory only she can read.
        try FileManager.default.createDirectory(atPath: s.path("alice"), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = try Spawned.run(["chown", Self.alice, s.path("alice")])
        let made = try Spawned.run(Self.asUser(Self.alice, [Sandbox.binary, "keygen", "--name", "alice", "--out", s.path("alice/alice.key"), "--no-passphrase"]),
                                   env: ["PATH": "/usr/bin:/bin", "HOME": s.path("alice")])
        guard made.status == 0 else { throw SandboxError("keygen as alice: \(made.stderr)") }
        let alicePublic = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try s.writePolicy("approver alice user=\(Self.alice) key=\(alicePublic)\ngroup sre alice\n" + rules)
        socket = s.path("gate.sock")
        daemon = try Spawned.start([Sandbox.binary, "daemon", "--socket", socket, "--state", s.home, "--policy", s.policyPath],
                                   env: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"])
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: socket) {
            guard Date() < deadline, daemon.isRunning else { throw SandboxError("the daemon did not start: \(daemon.finish().stderr)") }
            usleep(20_000)
        }
    }

    deinit {
        daemon.signal(SIGTERM)
        _ = daemon.finish(timeout: 20)
    }

    static func asUser(_ user: String, _ argv: [String]) -> [String] {
        ["setpriv", "--reuid=\(user)", "--regid=\(user)", "--init-groups", "--"] + argv
    }

    /// The environment a user's shell would have, with GATE_SOCKET set.
    func env(_ user: String, _ extra: [String: String] = [:]) -> [String: String] {
        ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/home/\(user)", "USER": user, "LANG": "C.UTF-8", "NO_COLOR": "1",
         "GATE_SOCKET": socket].merging(extra) { $1 }
    }

    func start(as user: String, _ args: [String], env extra: [String: String] = [:], stdin: String? = nil) throws -> Spawned {
        try Spawned.start(Self.asUser(user, [Sandbox.binary] + args), env: env(user, extra), cwd: work, stdin: stdin)
    }

    @discardableResult
    func run(as user: String, _ args: [String], env extra: [String: String] = [:], stdin: String? = nil) throws -> Spawned.Output {
        try start(as: user, args, env: extra, stdin: stdin).finish()
    }

    /// Any command as a user, without gate.
    func plain(as user: String, _ argv: [String]) throws -> Spawned.Output {
        try Spawned.run(Self.asUser(user, argv), env: env(user), cwd: work)
    }

    /// The one pending request's id, waiting for it to be filed.
    func pendingID(timeout: TimeInterval = 20) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let r = try run(as: Self.alice, ["list", "--json"])
            if let data = r.stdout.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
               let id = list.first?["id"] as? String {
                return id
            }
            usleep(50_000)
        }
        throw SandboxError("no request became pending")
    }

    func approve(_ id: String, as user: String = alice, key: String? = nil) throws -> Spawned.Output {
        try run(as: user, ["approve", id, "--key", key ?? s.path("alice/alice.key")])
    }

    /// The daemon's ledger, read as root.
    func log() throws -> String { try s.run(["log", "--json"]).stdout }
}
