import Foundation
import Testing

/// `gate hook claude-code` as Claude Code calls it: the documented PreToolUse envelope on stdin,
/// the decision on stdout; and a rewritten command, run through bash, ends as the policy says.
@Suite(.timeLimit(.minutes(2))) struct ClaudeCodeHookTests {
    static func sandbox() throws -> Sandbox {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nallow -- true\nrequire 1 -- touch ...\nrequire 1 -- sh ...\n"
            + "deny \"not here: use the deploy pipeline\" -- rm ...\n")
        s.env["PATH"] = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().path + ":/usr/local/bin:/usr/bin:/bin"
        return s
    }

    static func envelope(_ command: Any?, tool: String = "Bash", cwd: String, description: String = "make the marker") throws -> String {
        var input: [String: Any] = ["description": description]
        if let command { input["command"] = command }
        let e: [String: Any] = ["session_id": "s1", "transcript_path": "/tmp/t.jsonl", "cwd": cwd, "permission_mode": "default",
                                "hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": input]
        return String(decoding: try JSONSerialization.data(withJSONObject: e), as: UTF8.self)
    }

    func hook(_ s: Sandbox, _ envelope: String, env: [String: String] = [:]) throws -> (decision: String?, reason: String, command: String?, raw: String) {
        try s.write("envelope.json", envelope)
        let r = try s.run(["hook", "claude-code"], env: env, stdin: s.path("envelope.json"))
        #expect(r.status == 0, "\(r.stderr)")
        guard !r.stdout.isEmpty else { return (nil, "", nil, "") }
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let out = j?["hookSpecificOutput"] as? [String: Any]
        #expect(out?["hookEventName"] as? String == "PreToolUse", "\(r.stdout)")
        return (out?["permissionDecision"] as? String, out?["permissionDecisionReason"] as? String ?? "",
                (out?["updatedInput"] as? [String: Any])?["command"] as? String, r.stdout)
    }

    func bash(_ s: Sandbox, _ command: String) throws -> Spawned {
        try Spawned.start(["bash", "-c", command], env: s.env, cwd: s.root.path)
    }

    @Test func anAllowedCommandRunsUnderGateAndIsRecorded() throws {
        let s = try Self.sandbox()
        let d = try hook(s, try Self.envelope("true", cwd: s.root.path))
        #expect(d.decision == "allow" && d.command?.hasSuffix(" -- true") == true, "\(d.raw)")
        #expect(try bash(s, d.command ?? "false").finish().status == 0)
        #expect(try s.ledger().map { $0["kind"] as? String ?? "" } == ["started", "finished"])
    }

    @Test func aDeniedCommandIsDeniedWithThePolicysMessage() throws {
        let s = try Self.sandbox()
        let d = try hook(s, try Self.envelope("rm -rf build", cwd: s.root.path))
        #expect(d.decision == "deny" && d.reason.contains("not here: use the deploy pipeline") && d.command == nil, "\(d.raw)")
        let unmatched = try hook(s, try Self.envelope("ls -l", cwd: s.root.path))
        #expect(unmatched.decision == "deny" && unmatched.reason.contains("denied by policy (default)"))
    }

    @Test func aCommandThatNeedsApprovalWaitsOnARealApproval() throws {
        let s = try Self.sandbox()
        let d = try hook(s, try Self.envelope("touch \(s.path("marker"))", cwd: s.root.path))
        #expect(d.decision == "allow" && d.reason.contains("needs 1 approval"), "\(d.raw)")
        #expect(d.command?.contains("--reason 'make the marker' --timeout 590s -- touch \(s.path("marker"))") == true, "\(d.raw)")
        #expect(d.raw.contains("\"timeout\":600000"))
        let running = try bash(s, d.command ?? "false")
        let id = try s.waitForPending()
        #expect(!FileManager.default.fileExists(atPath: s.path("marker")))
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        #expect(running.finish().status == 0)
        #expect(FileManager.default.fileExists(atPath: s.path("marker")))
    }

    @Test(arguments: ["touch a; rm -rf /", "touch $(id)", "touch a && touch b", "touch a | cat", "touch *", "cd / && touch x",
                      "FOO=1 touch x", "touch ~/x", "touch a\ntouch b", "touch `id`", "touch 'unclosed"])
    func shellSyntaxIsJudgedAsAShell(_ command: String) throws {
        let s = try Self.sandbox()
        let d = try hook(s, try Self.envelope(command, cwd: s.root.path))
        #expect(d.decision == "allow" && d.reason.contains("as sh -c"), "\(command): \(d.raw)")
        #expect(d.command?.contains(" -- sh -c ") == true, "\(d.raw)")
        // Under a policy without a shell rule it is denied, whatever the words after it.
        try s.writePolicy("allow -- touch ...\n")
        let strict = try hook(s, try Self.envelope(command, cwd: s.root.path))
        #expect(strict.decision == "deny", "\(command): \(strict.raw)")
    }

    @Test func onlyThisGatePassesAsAGateCommand() throws {
        let s = try Self.sandbox()
        let d = try hook(s, try Self.envelope("gate -- touch x", cwd: s.root.path))
        #expect(d.decision == "allow" && d.command == nil, "\(d.raw)")
        try FileManager.default.createDirectory(atPath: s.path("fake"), withIntermediateDirectories: true)
        try s.write("fake/gate", "#!/bin/sh\nexec \"$@\"\n", mode: 0o755)
        let fake = try hook(s, try Self.envelope("gate -- rm -rf /", cwd: s.root.path), env: ["PATH": s.path("fake") + ":" + (s.env["PATH"] ?? "")])
        #expect(fake.decision == "deny" && fake.reason.contains("not this gate"), "\(fake.raw)")
        let relative = try hook(s, try Self.envelope("./fake/gate -- rm -rf /", cwd: s.root.path))
        #expect(relative.decision == "deny", "\(relative.raw)")
        // An empty PATH entry is the working directory to bash: a `gate` there is the one it runs.
        let inCwd = try hook(s, try Self.envelope("gate -- rm -rf /", cwd: s.path("fake")), env: ["PATH": ":" + (s.env["PATH"] ?? "")])
        #expect(inCwd.decision == "deny" && inCwd.reason.contains("not this gate"), "\(inCwd.raw)")
    }

    @Test func whatCannotBeReadOrJudgedIsDenied() throws {
        let s = try Self.sandbox()
        for bad in ["", "not json", "[1,2]", "{\"tool_input\":{}}", try Self.envelope(nil, cwd: s.root.path), try Self.envelope(42, cwd: s.root.path),
                    try Self.envelope("   ", cwd: s.root.path), try Self.envelope("true", cwd: s.path("no/such/dir"))] {
            let d = try hook(s, bad)
            #expect(d.decision == "deny" && d.reason.contains("fail closed"), "\(bad): \(d.raw)")
        }
        let missing = try hook(s, try Self.envelope("true", cwd: s.root.path), env: ["GATE_POLICY": s.path("etc/none")])
        #expect(missing.decision == "deny" && missing.reason.contains("no policy") && !missing.reason.contains("\n"), "\(missing.raw)")
        try s.write("etc/policy", "version 1\nallow -- true\nbogus\n", mode: 0o600)
        let broken = try hook(s, try Self.envelope("true", cwd: s.root.path))
        #expect(broken.decision == "deny" && broken.reason.contains("policy:3:"), "\(broken.raw)")
        // Other tools are not this hook's to judge: no answer, Claude Code's own permissions apply.
        #expect(try hook(s, try Self.envelope(nil, tool: "Read", cwd: s.root.path)).decision == nil)
    }
}

/// The hook's second attack round: an agent asks gate only for runs and reads; decisions are
/// people's; a rewritten argument re-reads as the same bytes in any locale.
@Suite(.timeLimit(.minutes(2))) struct ClaudeCodeHookGateCommandTests {
    @Test(arguments: ["gate approve 7K3F-Q2XZ --key k", "gate deny 7K3F --reason x", "gate review 7K3F", "gate keygen --name x",
                      "gate audit export", "gate --break-glass --reason now -- touch x", "gate run --break-glass --reason now -- touch x",
                      "gate daemon", "gate mcp", "gate hook claude-code", "gate", "gate touch x"])
    func anAgentDoesNotDecideOrHoldKeys(_ command: String) throws {
        let s = try ClaudeCodeHookTests.sandbox()
        let d = try ClaudeCodeHookTests().hook(s, try ClaudeCodeHookTests.envelope(command, cwd: s.root.path))
        #expect(d.decision == "deny", "\(command): \(d.raw)")
    }

    @Test(arguments: ["gate -- touch x", "gate run --reason 'a b' -- touch x", "gate --ticket CHG-1 -- rm x", "gate list", "gate status 7K3F",
                      "gate policy explain -- rm x"])
    func runsAndReadsPass(_ command: String) throws {
        let s = try ClaudeCodeHookTests.sandbox()
        let d = try ClaudeCodeHookTests().hook(s, try ClaudeCodeHookTests.envelope(command, cwd: s.root.path))
        #expect(d.decision == "allow" && d.command == nil, "\(command): \(d.raw)")
    }

    @Test func decisionsRefuseAnAgentsLabel() throws {
        let (s, _) = try Sandbox.withApprover()
        let (requester, id) = try s.pendingRequest(["true"])
        defer { requester.signal(SIGINT); _ = requester.finish() }
        for verb in [["approve", id], ["deny", id, "--reason", "x"]] {
            let r = try s.run(verb + ["--key", s.path("bob.key")], env: ["GATE_AGENT": "claude"])
            #expect(r.status == 77 && r.stderr.contains("decisions are people's"), "\(r.stderr)")
            // Refused on record, and nothing signed.
            let last = try s.lastEntry()
            #expect(last.kind == "refused" && last.payload["code"] as? String == "agent-decision", "\(last)")
        }
        #expect(try s.ledger().allSatisfy { $0["kind"] as? String != "approved" && $0["kind"] as? String != "denied" })
    }

    /// An argument with a character gate shows escaped (here a zero-width space) is rewritten so
    /// that bash, even under LC_ALL=C, gives gate exactly the bytes that were judged.
    @Test func aRewrittenArgumentIsTheSameBytesInAnyLocale() throws {
        let s = try ClaudeCodeHookTests.sandbox()
        try s.writePolicy("allow -- printf ...\n")
        let argument = "a\u{200B}b\u{85}c"
        let d = try ClaudeCodeHookTests().hook(s, try ClaudeCodeHookTests.envelope("printf %s '\(argument)'", cwd: s.root.path))
        #expect(d.decision == "allow", "\(d.raw)")
        var env = s.env
        env["LC_ALL"] = "C"
        let ran = try Spawned.run(["bash", "-c", d.command ?? "false"], env: env, cwd: s.root.path)
        #expect(Array(ran.stdout.utf8) == Array(argument.utf8), "\(d.command ?? ""): \(Array(ran.stdout.utf8))")
    }
}
