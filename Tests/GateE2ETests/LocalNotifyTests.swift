import Foundation
import Testing

/// Local mode announces a new request to the same webhooks a gate server would (issue 15): the
/// same payloads and signature, retried, and without delaying the requester.
@Suite(.timeLimit(.minutes(2))) struct LocalNotifyTests {
    @Test func aNewRequestIsAnnouncedSignedAndRetried() throws {
        let (s, _) = try Sandbox.withApprover("require 1 -- touch ...\n")
        try s.write("hook.secret", "local-webhook-secret-0123456789\n", mode: 0o600)
        let log = s.path("hooks.jsonl")
        let (receiver, port) = try RemoteRig.startFixture("webhook_receiver.py", [log, s.path("hook.secret")])
        defer { receiver.signal(SIGKILL); _ = receiver.finish(timeout: 5) }
        let env = ["GATE_WEBHOOK": "http://127.0.0.1:\(port)/json", "GATE_SLACK_WEBHOOK": "http://127.0.0.1:\(port)/slack",
                   "GATE_WEBHOOK_SECRET": s.path("hook.secret")]
        let started = Date()
        let r = try s.run(["run", "--no-wait", "--reason", "rotate <!channel>", "--", "touch", s.path("ran")], env: env)
        #expect(r.status == 75 && Date().timeIntervalSince(started) < 3, "the requester waited for the receiver")
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "-", with: "")
        var lines: [[String: Any]] = []
        for _ in 0..<300 {
            lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            if lines.filter({ $0["path"] as? String == "/json" }).count >= 2 && lines.contains(where: { $0["path"] as? String == "/slack" }) { break }
            usleep(20_000)
        }
        let json = lines.filter { $0["path"] as? String == "/json" }
        #expect(json.count == 2 && json.first?["status"] as? Int == 500 && json.last?["delivery"] as? String == json.first?["delivery"] as? String, "\(lines)")
        #expect(lines.allSatisfy { $0["mac_ok"] as? Bool == true && $0["event"] as? String == "request.created" }, "\(lines)")
        let body = json.last?["body"] as? [String: Any] ?? [:]
        #expect(body["id"] as? String == id && body["approve_command"] as? String == "gate approve \(id)" && body["url"] is NSNull, "\(body)")
        let slack = lines.first { $0["path"] as? String == "/slack" }?["body"] as? [String: Any] ?? [:]
        #expect((slack["text"] as? String ?? "").contains("touch") && !(slack["text"] as? String ?? "").contains("<!"), "\(slack)")
    }

    @Test func aDeadReceiverDelaysNothingAndAnAllowedRunNotifiesNoOne() throws {
        let (s, _) = try Sandbox.withApprover("allow -- true\nrequire 1 -- touch ...\n")
        let env = ["GATE_WEBHOOK": "http://127.0.0.1:9/nothing-listens"]
        let started = Date()
        #expect(try s.run(["run", "--no-wait", "--", "touch", s.path("ran")], env: env).status == 75)
        #expect(try s.run(["--", "true"], env: env).status == 0)
        #expect(Date().timeIntervalSince(started) < 3)
    }

    /// A receiver that accepts and never answers, a FIFO for the secret or the status file: the
    /// requester's `$(gate run --no-wait …)` still returns at once.
    @Test func nothingTheNotifierOrTheStatusFileMeetsHoldsTheRequester() throws {
        let (s, _) = try Sandbox.withApprover("require 1 -- touch ...\n")
        let listener = """
            import socket, sys, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16); print(s.getsockname()[1], flush=True)
            held = []
            while True:
                c, _ = s.accept(); held.append(c)
            """
        let silent = try Spawned.start(["python3", "-c", listener])
        defer { silent.signal(SIGKILL); _ = silent.finish(timeout: 5) }
        var port = ""
        for _ in 0..<200 where port.isEmpty {
            port = ((try? String(contentsOfFile: silent.out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if port.isEmpty { usleep(20_000) }
        }
        #expect(mkfifo(s.path("secret.fifo"), 0o600) == 0 && mkfifo(s.path("status.fifo"), 0o600) == 0)
        let cases: [[String: String]] = [["GATE_WEBHOOK": "http://127.0.0.1:\(port)/x"],
                                         ["GATE_WEBHOOK": "http://127.0.0.1:\(port)/x", "GATE_WEBHOOK_SECRET": s.path("secret.fifo")]]
        for extra in cases {
            let started = Date()
            let r = try Spawned.run(["sh", "-c", "id=$(\"$0\" run --no-wait --json-status \"$1\" -- touch \"$2\"); echo \"id=$id\"",
                                     Sandbox.binary, s.path("status.fifo"), s.path("ran")], env: s.env.merging(extra) { $1 })
            #expect(Date().timeIntervalSince(started) < 5, "\(extra): the requester was held")
            #expect(r.stdout.hasPrefix("id=") && r.stdout.count > 8, "\(extra): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("--json-status") && r.stderr.contains("not a regular file") || r.stderr.contains("cannot write --json-status"), "\(r.stderr)")
        }
    }
}
