import Foundation
import Testing

/// A gate server on 127.0.0.1 (a port the system picks, kept across restarts) with its own
/// state directory and policy, a requester with its own GATE_HOME and requester key, and
/// approvers alice and bob (bob and carol in group sre with alice), each with a separate
/// GATE_HOME: separate processes, as on separate machines.
final class RemoteRig: @unchecked Sendable {
    let s: Sandbox
    var server: Spawned?
    var port = 0
    var serverArgs: [String] = []
    var url: String { "http://127.0.0.1:\(port)" }
    var stateDir: String { s.path("server") }
    var keys: [String: String] = [:]

    init(rules: String = "require 1 of sre -- /bin/echo ...\nrequire 2 of sre -- /bin/printf ...\n", extraServerPolicy: String = "",
         serverArgs: [String] = []) throws {
        s = try Sandbox()
        for name in ["alice", "bob", "carol"] { keys[name] = try s.keygen(name) }
        let requester = try s.run(["keygen", "--name", "ci1", "--out", s.path("requester.key"), "--no-passphrase"])
        #expect(requester.status == 0, "\(requester.stderr)")
        keys["ci1"] = requester.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let people = """
            approver alice user=alice key=\(keys["alice"]!)
            approver bob user=bob key=\(keys["bob"]!)
            approver carol user=carol key=\(keys["carol"]!)
            group sre alice bob carol

            """
        // The requester host's policy (the sandbox's GATE_POLICY) and the server's: the same
        // rules; the server's also registers the requester's key.
        try s.writePolicy(people + rules)
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try s.write("server/policy", "version 1\n" + people + "requester ci1 key=\(keys["ci1"]!)\n" + extraServerPolicy + rules, mode: 0o600)
        self.serverArgs = serverArgs
        try startServer()
    }

    deinit { server?.signal(SIGKILL); _ = server?.finish(timeout: 5) }

    static let serverBinary = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().appendingPathComponent("gate-server").path

    /// Starts gate-server (on the port used before, after a restart) and waits until it listens.
    func startServer() throws {
        let p = try Spawned.start([Self.serverBinary, "--listen", "127.0.0.1:\(port)", "--state", stateDir] + serverArgs, env: s.env)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && p.isRunning {
            let err = (try? String(contentsOfFile: p.err, encoding: .utf8)) ?? ""
            if let m = err.firstMatch(of: #/listening on http://127\.0\.0\.1:(\d+)/#) {
                port = Int(m.output.1)!
                server = p
                return
            }
            usleep(20_000)
        }
        let out = p.finish(timeout: 5)
        throw SandboxError("gate-server did not start: \(out.stderr)")
    }

    func stopServer(_ sig: Int32) -> Spawned.Output? {
        server?.signal(sig)
        defer { server = nil }
        return server?.finish(timeout: 20)
    }

    var requesterEnv: [String: String] { ["GATE_SERVER": url, "GATE_REQUESTER_KEY": s.path("requester.key")] }

    func approverEnv(_ name: String) -> [String: String] {
        ["GATE_SERVER": url, "GATE_HOME": s.path("\(name)-home"), "GATE_KEY": s.path("\(name).key")]
    }

    /// The requester, in the background: `gate --timeout T -- CMD`.
    func request(_ command: [String], timeout: String = "60s", extra: [String] = []) throws -> Spawned {
        try s.start(["--timeout", timeout] + extra + ["--"] + command, env: requesterEnv)
    }

    func approve(_ id: String, as name: String) throws -> Sandbox.Output {
        try s.run(["approve", id], env: approverEnv(name))
    }

    func deny(_ id: String, as name: String, reason: String) throws -> Sandbox.Output {
        try s.run(["deny", id, "--reason", reason], env: approverEnv(name))
    }

    /// Polls the server's pending list (as an approver would) until a request shows up.
    func waitForPending(_ requester: Spawned? = nil, timeout: TimeInterval = 20) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let requester, !requester.isRunning {
                let out = requester.finish(timeout: 1)
                throw SandboxError("the requester ended (\(out.status)) before its request reached the server: \(out.stderr)")
            }
            let r = try s.run(["list", "--json"], env: approverEnv("alice"))
            if let list = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]],
               let id = list.first?["id"] as? String { return Sandbox.displayed(id) }
            usleep(30_000)
        }
        throw SandboxError("no request reached the server")
    }

    /// The server's ledger kinds, read with gate itself pointed at the server's state directory.
    func serverLedgerKinds() throws -> [String] {
        let r = try s.run(["log", "--json"], env: ["GATE_HOME": stateDir])
        return r.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["kind"] as? String
        }
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// Starts one of the Python fixtures (a receiver or a proxy) and returns it with the port it
    /// printed on its first line.
    static func startFixture(_ script: String, _ args: [String]) throws -> (Spawned, Int) {
        let p = try Spawned.start(["python3", fixtures + "/" + script] + args)
        for _ in 0..<250 {
            if let n = Int(((try? String(contentsOfFile: p.out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) { return (p, n) }
            usleep(20_000)
        }
        p.signal(SIGKILL)
        throw SandboxError("\(script) did not start: \(p.finish(timeout: 5).stderr)")
    }

    func curl(_ path: String, _ extra: [String] = []) throws -> String {
        try Spawned.run(["curl", "-s", "-i"] + extra + ["\(url)\(path)"]).stdout
    }

    /// A fresh create statement, as gate sends it in its Gate-Statement header, caught on its way
    /// to a fake server (so the real one has never seen it): the rig's registered requester's, or
    /// the one `env` names.
    func caughtStatement(env extra: [String: String] = [:]) throws -> String {
        let capture = """
            import http.server
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    print(self.headers.get("Gate-Statement", ""), flush=True)
                    self.send_response(500); self.send_header("Content-Length", "0"); self.end_headers()
                    raise SystemExit
                def log_message(self, *a): pass
            s = http.server.HTTPServer(("127.0.0.1", 0), H)
            print(s.server_address[1], flush=True)
            s.handle_request()
            """
        let catcher = try Spawned.start(["python3", "-c", capture])
        var port = ""
        for _ in 0..<200 where port.isEmpty {
            port = ((try? String(contentsOfFile: catcher.out, encoding: .utf8)) ?? "").split(separator: "\n").first.map(String.init) ?? ""
            usleep(20_000)
        }
        _ = try s.run(["--", "/bin/echo", "x"], env: requesterEnv.merging(["GATE_SERVER": "http://127.0.0.1:\(port)"].merging(extra) { $1 }) { $1 })
        return catcher.finish().stdout.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
    }
}
