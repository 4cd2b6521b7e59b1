import Foundation
import Testing

/// Policy rules through the binary: M-of-N, conditions, reasons, TTLs, break-glass, check and
/// explain, file safety.
@Suite(.timeLimit(.minutes(2))) struct PolicyRulesTests {
    /// Three SREs (bob, carol, dave), each with a key.
    static func sre(_ rules: String) throws -> Sandbox {
        let s = try Sandbox()
        let keys = try ["bob", "carol", "dave"].map { ($0, try s.keygen($0)) }
        // $ROOT in the rules is the sandbox's directory (for a trusted-path that holds stubs).
        try s.writePolicy(keys.map { "approver \($0.0) user=\($0.0) key=\($0.1)\n" }.joined() + "group sre bob carol dave\n"
                          + rules.replacingOccurrences(of: "$ROOT", with: s.root.path))
        return s
    }

    /// A `/` byte makes argv[0] a path, as for the shell and execve, even when a combining mark
    /// follows it (one Character to Swift): gate runs the file that path names, never a
    /// same-looking name found through PATH (this session's attack round, F3).
    @Test func aSlashJoinedToACombiningMarkStillMakesAPath() throws {
        let s = try Sandbox()
        let dir = s.path("x")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let name = "\u{301}true"
        try FileManager.default.copyItem(atPath: "/bin/echo", toPath: dir + "/" + name)
        try s.writePolicy("allow -- \(dir)/* ...\n")
        let r = try s.run(["--", "x/" + name, "ran", "the", "path"], cwd: s.root.path)
        #expect(r.status == 0 && r.stdout == "ran the path\n", "\(r)")
        let missing = try s.run(["--", "y/" + name], cwd: s.root.path)
        #expect(missing.status != 0 && missing.stderr.contains("no such file") && !missing.stderr.contains("command not found"), "\(missing)")
    }

    @Test func twoOfThreeSREs() throws {
        let s = try Self.sre("require 2 of sre -- sh ...\n")
        let r = try s.start(["--", "sh", "-c", "echo applied"])
        let id = try s.waitForPending()
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        usleep(300_000)
        #expect(r.isRunning, "ran with one of two approvals")
        #expect(try s.run(["show", id]).stdout.contains("approved by bob"))
        #expect(try s.run(["approve", id, "--key", s.path("dave.key")]).status == 0)
        let out = r.finish()
        #expect(out.status == 0 && out.stdout == "applied\n")
        let started = try s.ledger().first { $0["kind"] as? String == "started" }
        let approvers = ((started?["payload"] as? [String: Any])?["approvals"] as? [[String: Any]])?.compactMap { $0["approver"] as? String }
        #expect(approvers == ["bob", "dave"])
        // One SRE's denial denies, even after another approved.
        let r2 = try s.start(["--", "sh", "-c", "echo applied"])
        let id2 = try s.waitForPending()
        #expect(try s.run(["approve", id2, "--key", s.path("bob.key")]).status == 0)
        #expect(try s.run(["deny", id2, "--key", s.path("carol.key"), "--reason", "wrong workspace"]).status == 0)
        let out2 = r2.finish()
        #expect(out2.status == 77 && out2.stderr.contains("denied by carol: wrong workspace"))
    }

    @Test func conditionsOnAgentAndEnvironment() throws {
        let s = try Self.sre("""
            default allow
            deny "agents may not touch IAM" agent=* -- aws iam ...
            require 1 of sre env:TF_WORKSPACE=prod -- terraform apply ...
            trusted-path $ROOT:/usr/bin:/bin
            """)
        try s.write("aws", "#!/bin/sh\necho aws ran\n", mode: 0o755)
        try s.write("terraform", "#!/bin/sh\necho terraform ran\n", mode: 0o755)
        let path = s.root.path + ":/usr/bin:/bin"
        let agent = try s.run(["--", "aws", "iam", "list-users"], env: ["PATH": path, "GATE_AGENT": "claude"])
        #expect(agent.status == 77 && agent.stderr.contains("denied by policy (line 7): agents may not touch IAM"))
        #expect(try s.run(["--", "aws", "iam", "list-users"], env: ["PATH": path]).stdout == "aws ran\n")
        #expect(try s.run(["--", "terraform", "apply", "x"], env: ["PATH": path, "TF_WORKSPACE": "dev"]).stdout == "terraform ran\n")
        let prod = try s.run(["--timeout", "1s", "--", "terraform", "apply", "x"], env: ["PATH": path, "TF_WORKSPACE": "prod"])
        #expect(prod.status == 75 && prod.stderr.contains("needs 1 of sre"))
    }

    @Test func reasonRequiredAndRequestTTL() throws {
        let s = try Self.sre("require 1 of sre reason ttl=1s -- sh ...\n")
        let none = try s.run(["--", "sh", "-c", "true"])
        #expect(none.status == 77 && none.stderr.contains("requires a reason"))
        #expect(try s.lastEntry().payload["code"] as? String == "reason-required")
        let expired = try s.run(["--reason", "because", "--", "sh", "-c", "true"])
        #expect(expired.status == 75 && expired.stderr.contains("expired without a decision"))
        let id = try s.ledger().last?["request_id"] as? String ?? ""
        let late = try s.run(["approve", id, "--key", s.path("bob.key")])
        #expect(late.status == 77, "\(late.stderr)")
    }

    @Test func approvalTTLCapsTokenLifetime() throws {
        let s = try Self.sre("require 1 of sre approval-ttl=10m -- sh ...\n")
        let id = try s.abandonedRequest(["sh", "-c", "echo ok"])
        let capped = try s.run(["approve", id, "--key", s.path("bob.key"), "--ttl", "2h", "--print-token"])
        #expect(capped.status == 0 && capped.stderr.contains("the rule limits approvals to 10m"))
        // A long token signed elsewhere (under a policy without the limit) is refused here.
        try s.write("etc/loose", try String(contentsOfFile: s.policyPath, encoding: .utf8).replacingOccurrences(of: " approval-ttl=10m", with: ""), mode: 0o600)
        // (The request remembers its rule's limit, so the long token comes from a request made
        // under the loose policy, for the same intent.)
        let loose = ["GATE_POLICY": s.path("etc/loose")]
        let r0 = try s.start(["--", "sh", "-c", "echo ok"], env: loose)
        var looseID = ""
        for _ in 0..<200 {
            looseID = try s.run(["list"]).stdout.split(separator: "\n").first { !$0.hasPrefix(id) && !$0.hasPrefix("no ") && $0.contains("pending") }.map { String($0.prefix(9)) } ?? ""
            if !looseID.isEmpty { break }
            usleep(20_000)
        }
        r0.signal(SIGKILL)
        _ = r0.finish()
        let long = try s.run(["approve", looseID, "--key", s.path("carol.key"), "--ttl", "2h", "--print-token"], env: loose)
        #expect(!long.stderr.contains("limits approvals"))
        let r = try s.run(["--token", long.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--", "sh", "-c", "echo ok"])
        #expect(r.status == 77 && r.stderr.contains("longer than the 10m the rule allows"), "\(r.status) \(r.stderr) \(long.stderr)")
        #expect(try s.run(["--token", capped.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--", "sh", "-c", "echo ok"]).stdout == "ok\n")
    }

    @Test func breakGlassAllowedRecordedAndReviewed() throws {
        let user = NSUserName()
        let s = try Self.sre("require 2 of sre break-glass user=\(user) -- sh ...\nrequire 1 of sre -- true\n")
        let noReason = try s.run(["run", "--break-glass", "--", "sh", "-c", "echo fixed"])
        #expect(noReason.status == 77 && noReason.stderr.contains("break-glass needs a reason"))
        let r = try s.run(["run", "--break-glass", "--reason", "prod down, pager 4411", "--", "sh", "-c", "echo fixed"])
        #expect(r.status == 0 && r.stdout == "fixed\n")
        #expect(r.stderr.contains("gate: warning: BREAK-GLASS"))
        let kinds = try s.ledger().map { $0["kind"] as? String ?? "" }
        #expect(kinds.suffix(2) == ["break-glass", "finished"])
        let list = try s.run(["list"]).stdout
        #expect(list.contains("review"), "\(list)")
        let id = String(list.prefix(9))
        #expect(try s.run(["review", id, "--key", s.path("bob.key"), "--comment", "fine"]).status == 0)
        #expect(try s.run(["list"]).stdout == "no pending requests or reviews\n")
        #expect(try s.lastEntry().kind == "reviewed")
        // Where the rule does not say break-glass, it is refused and recorded.
        let refused = try s.run(["run", "--break-glass", "--reason", "x", "--", "true"])
        #expect(refused.status == 77 && refused.stderr.contains("break-glass is not permitted for this command (line 7)"))
        #expect(try s.lastEntry().payload["code"] as? String == "break-glass-refused")
    }

    @Test func explainAndCheck() throws {
        let s = try Self.sre("""
            default deny
            allow -- ls ...
            require 2 of sre reason ttl=1h -- terraform apply ...
            allow -- terraform ...
            trusted-path $ROOT:/usr/bin:/bin
            """)
        let check = try s.run(["policy", "check"])
        #expect(check.status == 0)
        #expect(check.stdout.contains("policy ok: \(s.policyPath): 3 approvers, 1 group, 3 rules; unmatched commands: deny"))
        #expect(check.stdout.contains(":8: warning: rule is unreachable: line 9"))
        try s.write("terraform", "#!/bin/sh\n", mode: 0o755)
        let ex = try s.run(["policy", "explain", "--", s.path("terraform"), "plan"])
        #expect(ex.stdout.contains("matches     line 9: allow -- terraform ..."), "\(ex.stdout)")
        #expect(ex.stdout.contains("decision    allow"))
        let dave = try s.run(["policy", "explain", "--as", "dave", "--json", "--", "ls", "-l"])
        #expect(dave.stdout.contains("\"user\": \"dave\"") && dave.stdout.contains("\"line\": 7"))
        let none = try s.run(["policy", "explain", "--", "cat", "x"])
        #expect(none.stdout.contains("matches     no rule; the default applies") && none.stdout.contains("decision    deny"))
        // Explaining runs nothing and records nothing.
        #expect(try s.ledger().isEmpty)
        try s.write("etc/bad", "version 1\nrequire 2 of nobody -- x\n", mode: 0o600)
        let bad = try s.run(["policy", "check", s.path("etc/bad")])
        #expect(bad.status == 78 && bad.stderr.contains("\(s.path("etc/bad")):2: unknown group 'nobody'"))
    }

    @Test func policyOwnedBySomeoneElseIsRefused() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- true\n")
        chown(s.policyPath, 65534, 65534)
        let r = try s.run(["--", "true"])
        #expect(r.status == 78 && r.stderr.contains("is owned by uid 65534, not by root or you"))
        chown(s.policyPath, 0, 0)
        chmod(s.path("etc"), 0o777)
        let dir = try s.run(["--", "true"])
        #expect(dir.status == 78 && dir.stderr.contains("policy directory \(s.path("etc")) is writable by group or others"))
    }

    @Test func pinnedExecutableDigest() throws {
        let s = try Sandbox()
        try s.write("tool", "#!/bin/sh\necho v1\n", mode: 0o755)
        let digest = try Spawned.run(["b2sum", "-l", "256", s.path("tool")]).stdout.prefix(64)
        try s.writePolicy("default deny\nallow digest=blake2b:\(digest) -- \(s.path("tool"))\n")
        #expect(try s.run(["--", s.path("tool")]).stdout == "v1\n")
        try s.write("tool", "#!/bin/sh\necho v2\n", mode: 0o755)
        let r = try s.run(["--", s.path("tool")])
        #expect(r.status == 77 && r.stderr.contains("denied by policy (default"))
    }
}
