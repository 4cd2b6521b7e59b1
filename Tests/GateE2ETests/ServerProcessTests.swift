import Foundation
import Testing

/// The real `gate-server` binary on 127.0.0.1 with a port the system picks: it says where it
/// listens, answers, and stops gracefully on SIGTERM.
@Suite(.timeLimit(.minutes(3))) struct ServerProcessTests {
    static let binary = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().appendingPathComponent("gate-server").path

    /// A state directory with a policy that registers no requester (the server warns).
    static func stateDirectory(_ s: Sandbox) throws -> String {
        try FileManager.default.createDirectory(atPath: s.path("server"), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try s.write("server/policy", "version 1\n", mode: 0o600)
        return s.path("server")
    }

    @Test func serverListensAnswersAndStopsOnSIGTERM() throws {
        let s = try Sandbox()
        // Without a policy it does not start: it would refuse everything.
        let none = try Spawned.run([Self.binary, "--listen", "127.0.0.1:0", "--state", s.path("nothing")], env: s.env)
        #expect(none.status == 78 && none.stderr.contains("gate-server: error: the server's policy: no policy at") && none.stderr.contains("gate-server: hint: "), "\(none)")
        _ = try Self.stateDirectory(s)
        let server = try Spawned.start([Self.binary, "--listen", "127.0.0.1:0", "--state", s.path("server")], env: s.env)
        var port: String?
        let deadline = Date().addingTimeInterval(20)
        while port == nil && Date() < deadline && server.isRunning {
            let err = (try? String(contentsOfFile: server.err, encoding: .utf8)) ?? ""
            if let m = err.firstMatch(of: #/listening on http://127\.0\.0\.1:(\d+)/#) { port = String(m.output.1) }
            usleep(50_000)
        }
        guard let port else {
            server.signal(SIGKILL)
            Issue.record("gate-server did not say where it listens: \(server.finish().stderr)")
            return
        }
        let health = try Spawned.run(["curl", "-s", "-i", "http://127.0.0.1:\(port)/v1/health"])
        #expect(health.stdout.contains("200 OK") && health.stdout.contains("application/json"), "\(health.stdout)")
        #expect(health.stdout.contains("{\"status\":\"ok\",\"ledger_id\":\""), "\(health.stdout)")
        server.signal(SIGTERM)
        let end = server.finish(timeout: 15)
        #expect(end.status == 0, "not a graceful exit: \(end.status) \(end.stderr)")
        #expect(end.stderr.contains("registers no requester: every request will be refused"), "\(end.stderr)")
        #expect(try Spawned.run([Self.binary, "--listen", "nowhere", "--state", s.path("server")]).status == 64)
    }

    /// `gate serve …` is gate-server with the same arguments (a separate executable so that gate
    /// does not link the HTTP stack), found next to gate.
    @Test func gateServeRunsTheServerNextToIt() throws {
        let s = try Sandbox()
        _ = try Self.stateDirectory(s)
        let server = try s.start(["serve", "--listen", "127.0.0.1:0", "--state", s.path("server")])
        var listening = false
        let deadline = Date().addingTimeInterval(20)
        while !listening && Date() < deadline && server.isRunning {
            listening = ((try? String(contentsOfFile: server.err, encoding: .utf8)) ?? "").contains("gate-server: listening on http://127.0.0.1:")
            usleep(50_000)
        }
        server.signal(SIGTERM)
        let end = server.finish(timeout: 15)
        #expect(listening && end.status == 0, "\(end.stderr)")
        let help = try s.run(["serve", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--webhook-secret") && help.stdout.contains("--listen"), "\(help)")
        #expect(try s.run(["serve", "--listen", "nowhere", "--state", s.path("server")]).status == 64)
    }
}
