import Foundation
import Testing

/// `gate mcp` as an agent host drives it: the official MCP Python SDK over stdio (issue 16).
@Suite(.timeLimit(.minutes(3))) struct MCPTests {
    static let python = GeneratedFilesTests.root.appendingPathComponent(".build-tools/venv/bin/python3").path
    static let host = GeneratedFilesTests.root.appendingPathComponent("Tests/GateE2ETests/Fixtures/mcp_host.py").path

    static func sandbox() throws -> Sandbox {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 -- sh ...\nallow -- sh -c echo*\nrequire 1 -- touch ...\nallow -- true\n")
        return s
    }

    /// Runs one scenario; its findings by step.
    static func host(_ scenario: String, _ s: Sandbox) throws -> [String: [String: Any]] {
        var env = s.env
        env["APPROVER_KEY"] = s.path("bob.key")
        env["MARKER"] = s.path("marker")
        let r = try Spawned.run([python, host, scenario, Sandbox.binary], env: env)
        #expect(r.status == 0, "mcp_host \(scenario): \(r.stderr)")
        var steps: [String: [String: Any]] = [:]
        for line in r.stdout.split(separator: "\n") {
            if let j = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let step = j["step"] as? String { steps[step] = j }
        }
        return steps
    }

    @Test func initializeListAndRun() throws {
        let s = try Self.sandbox()
        let steps = try Self.host("basic", s)
        #expect(steps["initialize"]?["server"] as? String == "gate")
        #expect(steps["tools"]?["names"] as? [String] == ["run", "explain", "status"])
        let run = steps["run"]?["structured"] as? [String: Any] ?? [:]
        #expect(run["outcome"] as? String == "ran" && run["exit_code"] as? Int == 3, "\(run)")
        #expect(run["stdout"] as? String == "out\n" && (run["stderr"] as? String ?? "").contains("err"), "\(run)")
        let explain = steps["explain"]?["structured"] as? [String: Any] ?? [:]
        #expect(explain["action"] as? String == "require" && explain["requires"] as? [String] == ["1 approval"], "\(explain)")
        #expect(steps["status-unknown"]?["is_error"] as? Bool == true)
        // Recorded as gate -- ARGV is, under the agent's label.
        let started = try s.ledger().first { $0["kind"] as? String == "started" }
        #expect((started?["payload"] as? [String: Any])?["agent"] as? String == "test-agent", "\(String(describing: started))")
    }

    @Test func aCallThatNeedsApprovalReportsProgressAndRunsOnceApproved() throws {
        let s = try Self.sandbox()
        let steps = try Self.host("approve", s)
        #expect(steps["decided"]?["status"] as? Int == 0, "\(steps)")
        let run = steps["run"]?["structured"] as? [String: Any] ?? [:]
        #expect(run["outcome"] as? String == "ran" && run["approvers"] as? [String] == ["bob"] && run["stdout"] as? String == "approved-run\n", "\(run)")
        let progress = steps["run"]?["progress"] as? [String] ?? []
        #expect(progress.contains { $0.contains("approval required") } && progress.contains { $0.contains("an approver runs: gate approve") }, "\(progress)")
        #expect(FileManager.default.fileExists(atPath: s.path("marker")))
    }

    @Test func aDenialComesBackAsDenied() throws {
        let s = try Self.sandbox()
        let steps = try Self.host("deny", s)
        let run = steps["run"]?["structured"] as? [String: Any] ?? [:]
        #expect(run["outcome"] as? String == "denied" && run["by"] as? String == "bob", "\(run)")
        #expect((run["reason"] as? String ?? "").contains("not today"), "\(run)")
        #expect(!FileManager.default.fileExists(atPath: s.path("marker")))
    }

    @Test func aCancellationWithdrawsTheRequestOnRecord() throws {
        let s = try Self.sandbox()
        let steps = try Self.host("cancel", s)
        #expect(steps["cancelled"]?["withdrawn_while_open"] as? Bool == true && steps["after"]?["is_error"] as? Bool == false, "\(steps)")
        var kinds: [String] = []
        for _ in 0..<100 {
            kinds = try s.ledger().map { $0["kind"] as? String ?? "" }
            if kinds.contains("cancelled") { break }
            usleep(50_000)
        }
        #expect(kinds.contains("requested") && kinds.contains("cancelled") && !kinds.contains("started"), "\(kinds)")
        #expect(!FileManager.default.fileExists(atPath: s.path("marker")))
    }

    /// A malformed line gets a JSON-RPC error, and the server goes on serving.
    @Test func malformedMessagesAreAnsweredAndServingGoesOn() throws {
        let s = try Self.sandbox()
        let lines = ["not json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"run\",\"arguments\":{\"argv\":\"ls\"}}}",
                     "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}", String(repeating: "x", count: 1_100_000),
                     "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"run\",\"arguments\":{\"argv\":[\"true\"],\"cwd\":\"/nonexistent\"}}}",
                     "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}",
                     "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"run\",\"arguments\":{\"argv\":[\"true\"]}}}"]
        try s.write("input", lines.joined(separator: "\n") + "\n")
        let r = try s.run(["mcp"], stdin: s.path("input"))
        #expect(r.status == 0, "\(r.stderr)")
        let replies = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let codes = replies.compactMap { ($0["error"] as? [String: Any])?["code"] as? Int }
        #expect(codes == [-32700, -32602, -32601, -32600, -32602], "\(r.stdout)")
        #expect(replies.contains { $0["id"] as? Int == 4 && $0["result"] != nil })
        let last = replies.first { $0["id"] as? Int == 5 }?["result"] as? [String: Any]
        #expect((last?["structuredContent"] as? [String: Any])?["outcome"] as? String == "ran", "\(r.stdout)")
    }
}
