import Foundation
import Testing

/// Issue 4: what an approver sees, and that what runs is what they saw.
@Suite(.timeLimit(.minutes(2))) struct ContextTests {
    static let fakeTerraform = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/terraform").path

    /// A sandbox with the fake terraform on PATH, a plan file, bob's key, and a policy that shows
    /// the plan and binds the plan file and AWS_PROFILE.
    static func terraformSandbox(extraPolicy: String = "") throws -> (Sandbox, [String: String]) {
        let s = try Sandbox()
        for dir in ["bin", "work"] { try FileManager.default.createDirectory(atPath: s.path(dir), withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: fakeTerraform, toPath: s.path("bin/terraform"))
        try s.write("work/tfplan", "plan-v1\n")
        let bob = try s.keygen("bob")
        try s.writePolicy("""
            approver bob user=bob key=\(bob)
            trusted-path \(s.path("bin")):/usr/bin:/bin
            env AWS_* GITHUB_* DATABASE_URL
            context plan timeout=10s -- terraform show -no-color {2}
            context summary -- terraform show -json {2}
            require 1 context=plan context=summary bind={2} bind-env=AWS_PROFILE -- terraform apply *
            \(extraPolicy)
            """)
        let env = ["PATH": s.path("bin") + ":/usr/bin:/bin", "AWS_PROFILE": "prod"]
        return (s, env)
    }

    static func request(_ s: Sandbox, _ env: [String: String], _ args: [String]) throws -> (Spawned, String) {
        let requester = try s.start(["--timeout", "20s", "--"] + args, env: env, cwd: s.path("work"))
        return (requester, try s.waitForPending())
    }

    @Test func theApproverSeesThePlanAndAChangedPlanIsRefused() throws {
        let (s, env) = try Self.terraformSandbox()
        let (requester, id) = try Self.request(s, env, ["terraform", "apply", "tfplan"])
        let show = try s.run(["show", id, "--no-pager"])
        #expect(show.stdout.contains("context plan: terraform show -no-color tfplan  [ok"), "\(show.stdout)")
        #expect(show.stdout.contains("  - resource \"aws_db_instance\" \"main\" {"))
        #expect(show.stdout.contains("bound file  ") && show.stdout.contains("/work/tfplan blake2b "))
        #expect(show.stdout.contains("bound env   AWS_PROFILE=prod"))
        #expect(show.stdout.contains("/bin/terraform, the command's own executable)"), "\(show.stdout)")
        // The JSON plan is summarised for the approver.
        #expect(show.stdout.contains("  Plan: 2 to add, 0 to change, 2 to destroy (1 replaced)"), "\(show.stdout)")
        // The hostile escape sequences in the provider's output arrive inert.
        #expect(!show.stdout.contains("\u{1b}") && show.stdout.contains("\\x1b[2J\\x1b]0;pwned\\x07(plan plan-v1)"), "\(show.stdout)")
        // Piped (NO_COLOR in the sandbox): no colour codes at all; --json has the output as text.
        let json = try s.run(["show", id, "--json"]).stdout
        #expect(json.contains("\"output\": \"Terraform will perform") && json.contains("\"bound_files\""), "\(json)")

        // The plan is replaced after the approver signed (the requester held meanwhile): the
        // approval does not carry over. (Replaced before, `approve` itself refuses: ApproveChecksTests.)
        requester.signal(SIGSTOP)
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        try s.write("work/tfplan", "plan-v2 (not what was approved)\n")
        requester.signal(SIGCONT)
        let r = requester.finish()
        #expect(r.status == 77 && r.stderr.contains("bound file ") && r.stderr.contains("tfplan changed since it was approved"), "\(r.stderr)")
        #expect(!r.stdout.contains("applied"))
        #expect(try s.lastEntry().payload["code"] as? String == "intent-changed")
    }

    @Test func theSamePlanRunsAndASwappedBinaryOrChangedVariableIsRefused() throws {
        let (s, env) = try Self.terraformSandbox()
        // Approved and unchanged: it runs.
        var (requester, id) = try Self.request(s, env, ["terraform", "apply", "tfplan"])
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        var r = requester.finish()
        #expect(r.status == 0 && r.stdout.contains("applied plan-v1"), "\(r.stderr)")

        // The executable is swapped after approval.
        (requester, id) = try Self.request(s, env, ["terraform", "apply", "tfplan"])
        let script = try String(contentsOfFile: s.path("bin/terraform"), encoding: .utf8)
        requester.signal(SIGSTOP)
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        try s.write("bin/terraform", script + "# tampered\n", mode: 0o755)
        requester.signal(SIGCONT)
        r = requester.finish()
        #expect(r.status == 77 && r.stderr.contains("the executable") && r.stderr.contains("changed since it was approved"), "\(r.stderr)")

        // A bound variable differs when the approved token is used: another intent.
        (requester, id) = try Self.request(s, env, ["terraform", "apply", "tfplan"])
        let token = try s.run(["approve", id, "--key", s.path("bob.key"), "--print-token"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = requester.finish()
        var other = env
        other["AWS_PROFILE"] = "staging"
        let t = try s.run(["--token", token, "--", "terraform", "apply", "tfplan"], env: other, cwd: s.path("work"))
        #expect(t.status == 77 && t.stderr.contains("a bound variable differs"), "\(t.stderr)")
    }

    @Test func secretsAreNeverStoredOrShownInClear() throws {
        let (s, base) = try Self.terraformSandbox()
        var env = base
        let secrets = ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "p4ssw0rd-in-a-url"]
        env["AWS_SECRET_ACCESS_KEY"] = secrets[0]
        env["GITHUB_TOKEN"] = secrets[1]
        env["DATABASE_URL"] = "postgres://admin:\(secrets[2])@db.internal:5432/prod"
        let (requester, id) = try Self.request(s, env, ["terraform", "apply", "tfplan"])
        let show = try s.run(["show", id, "--no-pager"]).stdout
        #expect(show.contains("AWS_SECRET_ACCESS_KEY") && show.contains("(redacted) redacted:"), "\(show)")
        #expect(show.contains("postgres://redacted:") && show.contains("@db.internal:5432/prod"), "\(show)")
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        #expect(requester.finish().status == 0)
        var seen = [show, try s.run(["show", id, "--json"]).stdout, try s.run(["log", "--json"]).stdout,
                    try s.run(["audit", "export"]).stdout, try s.run(["audit", "export", "--format", "csv"]).stdout]
        try s.run(["audit", "evidence", id, "--out", s.path("ev.json")])
        seen.append(try String(contentsOfFile: s.path("ev.json"), encoding: .utf8))
        // The independent verifier recomputes the intent digest with the bound file and the
        // (redacted) bound variable in it.
        let verified = try EvidenceTests.python(["evidence", s.path("ev.json")])
        #expect(verified.status == 0, "\(verified.stderr)")
        for name in ["state.db", "state.db-wal"] where FileManager.default.fileExists(atPath: s.path("home/\(name)")) {
            seen.append(String(decoding: try Data(contentsOf: URL(fileURLWithPath: s.path("home/\(name)"))), as: UTF8.self))
        }
        for text in seen { for secret in secrets { #expect(!text.contains(secret), "a secret in clear") } }
        // The same value gives the same hash: an auditor can tell two runs used the same key.
        let hashes = show.split(separator: "\n").filter { $0.contains("AWS_SECRET_ACCESS_KEY") }
        let (again, id2) = try Self.request(s, env, ["terraform", "apply", "tfplan"])
        let show2 = try s.run(["show", id2, "--no-pager"]).stdout
        #expect(show2.split(separator: "\n").filter { $0.contains("AWS_SECRET_ACCESS_KEY") } == hashes)
        #expect(try s.run(["deny", id2, "--key", s.path("bob.key"), "--reason", "test over"]).status == 0)
        _ = again.finish()
    }

    @Test func providersHaveATimeoutACapAndCanBeRequired() throws {
        let s = try Sandbox()
        try FileManager.default.createDirectory(atPath: s.path("work"), withIntermediateDirectories: true)
        let bob = try s.keygen("bob")
        try s.writePolicy("""
            approver bob user=bob key=\(bob)
            context slow timeout=1s -- sleep 30
            context big max=1K -- sh -c "yes plan-line | head -c 100000"
            context broken -- sh -c "echo oops >&2; exit 3"
            context must required timeout=1s -- sh -c "sleep 30"
            require 1 context=slow context=big context=broken -- echo shown
            require 1 context=must -- echo blocked
            require 1 ticket -- echo ticketed
            """)
        let started = Date()
        let (requester, id) = try Self.request(s, [:], ["echo", "shown"])
        #expect(Date().timeIntervalSince(started) < 10, "the slow provider was not stopped")
        let show = try s.run(["show", id, "--no-pager"]).stdout
        #expect(show.contains("context slow: sleep 30  [timed-out"), "\(show)")
        #expect(show.contains("context big: ") && show.contains("1024 bytes, TRUNCATED at 1024 bytes]") && show.contains("… output truncated"), "\(show)")
        #expect(show.contains("context broken: ") && show.contains("[failed, exit 3") && show.contains("stderr:\noops"), "\(show)")
        #expect(try s.run(["deny", id, "--key", s.path("bob.key"), "--reason", "test over"]).status == 0)
        _ = requester.finish()
        // A required provider that fails blocks the request, with a reason and a ledger entry.
        let blocked = try s.run(["--", "echo", "blocked"])
        #expect(blocked.status == 77 && blocked.stderr.contains("context 'must'") && blocked.stderr.contains("timed out after 1 s"), "\(blocked.stderr)")
        #expect(try s.lastEntry().payload["code"] as? String == "context-failed")
        // A rule that binds a file the command names refuses when the file is not there.
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 bind={1} -- cat *\nrequire 1 ticket -- echo ticketed\n")
        let unbound = try s.run(["--", "cat", "no-such-plan"], cwd: s.path("work"))
        #expect(unbound.status == 77 && unbound.stderr.contains("cannot hash bound file") && unbound.stderr.contains("no-such-plan"), "\(unbound.stderr)")
        #expect(try s.lastEntry().payload["code"] as? String == "bind-failed")
        let noTicket = try s.run(["--", "echo", "ticketed"])
        #expect(noTicket.status == 77 && noTicket.stderr.contains("requires a ticket"), "\(noTicket.stderr)")
    }

    @Test func largeOutputIsStoredCompressedOnceAndCheckedWhenShown() throws {
        let s = try Sandbox()
        try FileManager.default.createDirectory(atPath: s.path("work"), withIntermediateDirectories: true)
        let bob = try s.keygen("bob")
        try s.writePolicy("""
            approver bob user=bob key=\(bob)
            context big -- sh -c "seq 1 40000"
            require 1 context=big -- echo big
            """)
        var ids: [String] = []
        for _ in 0..<2 {
            let (requester, id) = try Self.request(s, [:], ["echo", "big"])
            #expect(try s.run(["deny", id, "--key", s.path("bob.key"), "--reason", "measured"]).status == 0)
            _ = requester.finish()
            ids.append(id)
        }
        let db = s.path("home/state.db")
        let rows = try Spawned.run(["sqlite3", db, "SELECT encoding, size, length(data) FROM context_blobs"]).stdout
        let fields = rows.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|")
        #expect(fields.count == 3 && fields[0] == "zlib" && fields[1] == "228894", "one blob for two requests, compressed: \(rows)")
        #expect((Int(fields.last ?? "") ?? .max) < 228894 / 2)
        let show = try s.run(["show", ids[1], "--no-pager"]).stdout
        #expect(show.contains("\n1\n2\n3\n") && show.contains("\n40000\n"), "the output comes back whole")
        // An altered stored output is reported, not shown.
        try EvidenceTests.sqlite(db, "UPDATE context_blobs SET encoding = 'raw', data = CAST('1' AS BLOB), size = 1")
        let altered = try s.run(["show", ids[1], "--no-pager"])
        #expect(altered.status == 65 && altered.stderr.contains("does not match its digest (altered)"), "\(altered.stderr)")
    }

    @Test func contextPolicyErrorsNameTheirLine() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        for (policy, message) in [
            ("require 1 context=nope -- x\n", "context 'nope' is not defined"),
            ("context p -- x {9\n", "has a malformed {N}"),
            ("context p timeout=0s -- x\n", "timeout= needs a duration"),
            ("context p max=100G -- x\n", "max= needs a size up to 64M"),
            ("context p\n", "expected '--' and the command to run"),
            ("require 1 bind={0} -- x\n", "bind= needs {N}"),
            ("env 'A B'\n", "is not a variable name"),
        ] {
            try s.writePolicy("approver bob user=bob key=\(bob)\n" + policy)
            let r = try s.run(["policy", "check"])
            #expect(r.status == 78 && r.stderr.contains(message), "\(policy): \(r.stderr)")
        }
    }
}

extension ContextTests {
    @Test func policyCheckWarnsAboutUnusedAndPATHResolvedProviders() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("""
            approver bob user=bob key=\(bob)
            context unused -- /usr/bin/true
            context plan -- terraform show {2}
            require 1 context=plan -- terraform apply *
            allow bind={1} -- cat *
            """)
        let r = try s.run(["policy", "check"])
        #expect(r.stdout.contains(":3: warning: context 'unused' is not used by any rule"), "\(r.stdout)")
        #expect(r.stdout.contains(":4: warning: context 'plan' runs 'terraform' from the requester's PATH"), "\(r.stdout)")
        #expect(r.stdout.contains(":6: warning: context= and bind= only act on 'require' rules"), "\(r.stdout)")
    }
}
