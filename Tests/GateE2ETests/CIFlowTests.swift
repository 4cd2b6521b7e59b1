import Foundation
import Testing

/// CI does not wait at a terminal (issue 15, items 7–8): file and exit, pick the decision up in a
/// later job, follow a request, withdraw it, and read every outcome as JSON.
@Suite(.timeLimit(.minutes(2))) struct CIFlowTests {
    static func sandbox() throws -> Sandbox {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nallow -- sh ...\nrequire 1 -- touch ...\n")
        return s
    }

    func status(_ s: Sandbox, _ file: String = "status.json") throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: s.path(file)))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func fileRequest(_ s: Sandbox) throws -> String {
        let r = try s.run(["run", "--no-wait", "--json-status", s.path("status.json"), "--", "touch", s.path("ran")])
        #expect(r.status == 75, "\(r.stderr)")
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 9 && r.stderr.contains("gate run --request \(id) -- touch"), "\(r.stdout)\(r.stderr)")
        #expect(try status(s)["outcome"] as? String == "pending" && status(s)["request_id"] as? String == id)
        return id
    }

    @Test func fileNowRunLater() throws {
        let s = try Self.sandbox()
        let id = try fileRequest(s)
        #expect(!FileManager.default.fileExists(atPath: s.path("ran")))
        let st = try s.run(["status", id, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(st.stdout.utf8)) as? [String: Any]
        #expect(json?["state"] as? String == "pending" && (json?["missing"] as? [String])?.count == 1, "\(st.stdout)")
        let waiting = try s.run(["wait", id, "--timeout", "1s"])
        #expect(waiting.status == 75 && waiting.stderr.contains("stays pending"))
        let early = try s.run(["run", "--request", id, "--no-wait", "--", "touch", s.path("ran")])
        #expect(early.status == 75 && !FileManager.default.fileExists(atPath: s.path("ran")))
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        let decided = try s.run(["wait", id])
        #expect(decided.status == 0 && decided.stderr.contains("is approved by bob"), "\(decided.stderr)")
        let run = try s.run(["run", "--request", id, "--json-status", s.path("status.json"), "--", "touch", s.path("ran")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: s.path("ran")))
        let ran = try status(s)
        #expect(ran["outcome"] as? String == "ran" && ran["exit_code"] as? Int == 0 && ran["approvers"] as? [String] == ["bob"])
        let again = try s.run(["run", "--request", id, "--", "touch", s.path("ran")])
        #expect(again.status == 77 && again.stderr.contains("already run"), "\(again.stderr)")
        let kinds = try s.ledger().map { $0["kind"] as? String ?? "" }
        #expect(kinds.filter { $0 == "started" }.count == 1)
    }

    /// A pick-up runs only the intent that was filed: another command, directory or variable is refused.
    @Test func aPickUpMustBeExactlyTheFiledCommand() throws {
        let s = try Self.sandbox()
        let id = try fileRequest(s)
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        try FileManager.default.createDirectory(atPath: s.path("elsewhere"), withIntermediateDirectories: true)
        let attempts: [([String], String?, [String: String])] = [
            (["touch", s.path("other")], nil, [:]),
            (["touch", s.path("ran"), s.path("other")], nil, [:]),
            (["touch", s.path("ran")], s.path("elsewhere"), [:]),
            (["touch", s.path("ran")], nil, ["TF_WORKSPACE": "prod"]),
        ]
        for (argv, cwd, env) in attempts {
            let r = try s.run(["run", "--request", id, "--"] + argv, env: env, cwd: cwd)
            #expect(r.status == 77 && r.stderr.contains("another intent"), "\(argv) \(cwd ?? "") \(env): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.path("ran")) && !FileManager.default.fileExists(atPath: s.path("other")))
        #expect(try s.run(["run", "--request", id, "--", "touch", s.path("ran")]).status == 0)
    }

    @Test func aDeniedRequestReportsWhoDenied() throws {
        let s = try Self.sandbox()
        let id = try fileRequest(s)
        #expect(try s.run(["deny", id, "--key", s.path("bob.key"), "--reason", "not on a Friday"]).status == 0)
        let r = try s.run(["run", "--request", id, "--json-status", s.path("status.json"), "--", "touch", s.path("ran")])
        #expect(r.status == 77)
        let st = try status(s)
        #expect(st["outcome"] as? String == "denied" && st["denied_by"] as? String == "bob", "\(st)")
        #expect(try s.run(["wait", id]).status == 77)
        #expect(try s.run(["status", id]).stdout.contains("denied by   bob: not on a Friday"))
    }

    @Test func cancelWithdrawsOnRecord() throws {
        let s = try Self.sandbox()
        let id = try fileRequest(s)
        let c = try s.run(["cancel", id])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(try s.lastEntry().kind == "cancelled")
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 77)
        #expect(try s.run(["run", "--request", id, "--", "touch", s.path("ran")]).status == 77)
        #expect(try s.run(["cancel", id]).status == 77)
        #expect(try s.run(["wait", id]).status == 75)
        #expect(!FileManager.default.fileExists(atPath: s.path("ran")))
    }

    @Test func aPickUpWaitsWhilePending() throws {
        let s = try Self.sandbox()
        let id = try fileRequest(s)
        let runner = try s.start(["run", "--request", id, "--", "touch", s.path("ran")])
        usleep(300_000)
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        let r = runner.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: s.path("ran")))
    }

    @Test func everyOutcomeIsReportedAsJSON() throws {
        let s = try Self.sandbox()
        #expect(try s.run(["run", "--json-status", s.path("a.json"), "--", "sh", "-c", "exit 7"]).status == 7)
        #expect(try status(s, "a.json")["outcome"] as? String == "ran" && status(s, "a.json")["exit_code"] as? Int == 7)
        #expect(try s.run(["run", "--json-status", s.path("b.json"), "--", "sh", "-c", "kill -TERM $$"]).status == 143)
        #expect(try status(s, "b.json")["signal"] as? Int == 15)
        #expect(try s.run(["run", "--json-status", s.path("c.json"), "--", "ls"]).status == 77)
        let c = try status(s, "c.json")
        #expect(c["outcome"] as? String == "denied" && c["code"] as? String == "policy-deny" && c["denied_by"] as? String == "policy", "\(c)")
        #expect(try s.run(["run", "--json-status", s.path("d.json"), "--timeout", "1s", "--", "touch", s.path("ran")]).status == 75)
        #expect(try status(s, "d.json")["outcome"] as? String == "timeout")
        #expect(try s.run(["run", "--json-status", s.path("e.json"), "--token", "garbage", "--", "touch", s.path("ran")]).status == 77)
        let e = try status(s, "e.json")
        #expect(e["outcome"] as? String == "refused" && e["code"] as? String == "malformed-token", "\(e)")
    }

    /// `gate cancel` from another shell ends a waiting requester too (exit 75), not only the record.
    @Test func aWaitingRequesterSeesItsRequestCancelled() throws {
        let s = try Self.sandbox()
        let waiting = try s.start(["--", "touch", s.path("ran")])
        let id = try s.waitForPending()
        #expect(try s.run(["cancel", id]).status == 0)
        let r = waiting.finish(timeout: 20)
        #expect(r.status == 75 && r.stderr.contains("was withdrawn"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path("ran")))
    }
}
