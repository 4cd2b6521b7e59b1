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
        // Started with descriptors its parent left open, as a daemon started by hand is: none of
        // them may reach a command.
        daemon = try Spawned.start(["/bin/sh", "-c", "exec 7</dev/null 8>>/dev/null; exec \"$@\"", "sh",
                                    Sandbox.binary, "daemon", "--socket", socket, "--state", s.home, "--policy", s.policyPath],
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

    /// A token for the pending request `id`, signed with alice's key as someone holding a copy of
    /// it would sign one (tools/gate_verify.py; the intent digest from the daemon's ledger).
    func aliceToken(for id: String) throws -> String {
        let compact = id.replacingOccurrences(of: "-", with: "")
        let requested = try log().split(separator: "\n").first { $0.contains("\"kind\":\"requested\"") && $0.contains(compact) } ?? ""
        let digest = (try JSONSerialization.jsonObject(with: Data(requested.utf8)) as? [String: Any])
            .flatMap { ($0["payload"] as? [String: Any])?["intent_digest"] as? String } ?? ""
        let sign = """
            import os, sys, time; sys.path.insert(0, sys.argv[1]); import gate_verify as g
            f = dict(l.split(": ", 1) for l in open(sys.argv[2]).read().splitlines()[1:])
            seed = g.b64url_decode(f["secret"])[:32]
            now = int(time.time())
            print(g.sign_token(seed, kid=bytes.fromhex(f["key-id"]), request_id=sys.argv[3], digest=bytes.fromhex(sys.argv[4]),
                               decision=1, issued=now, expires=now + 600, nonce=os.urandom(16), comment=""))
            """
        return try Spawned.run(["python3", "-c", sign, ForgedHistoryTests.tools, s.path("alice/alice.key"), compact, digest])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One raw request to the daemon as `user` (SPEC.md §10), with /dev/null as stdio: its messages.
    func raw(as user: String, _ request: String) throws -> String {
        // The request goes through a file: it may be larger than one argument can be.
        let file = s.path("work/raw-\(UUID().uuidString.prefix(8)).json")
        try s.write("work/" + URL(fileURLWithPath: file).lastPathComponent, request, mode: 0o644)
        defer { unlink(file) }
        let client = """
            import os, socket, struct, sys
            req = open(sys.argv[2], "rb").read(); n = os.open("/dev/null", os.O_RDWR)
            fds = [n, n, n] + ([os.open(".", os.O_PATH | os.O_DIRECTORY)] if b'"op":"run"' in req else [])
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
            socket.send_fds(s, [struct.pack(">I", len(req)) + req], fds)
            buf = b""
            while True:
                c = s.recv(65536)
                if not c: break
                buf += c
            while len(buf) >= 4:
                k = struct.unpack(">I", buf[:4])[0]; print(buf[4:4 + k].decode()); buf = buf[4 + k:]
            """
        return try Spawned.run(Self.asUser(user, ["/usr/bin/python3", "-c", client, socket, file]), env: env(user), cwd: work).stdout
    }
}
