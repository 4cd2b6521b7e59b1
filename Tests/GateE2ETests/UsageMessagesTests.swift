import Foundation
import Testing

/// A newcomer's mistakes get a message that says what to type (issue 15, items 9–14).
@Suite(.timeLimit(.minutes(2))) struct UsageMessagesTests {
    @Test(arguments: [
        (["aprove", "7K3F"], "did you mean 'gate approve'?"),
        (["lsit"], "did you mean 'gate list'?"),
        (["shw", "7K3F"], "did you mean 'gate show'?"),
        (["terraform", "apply", "tfplan"], "gate -- terraform apply tfplan"),
        (["run", "terraform", "plan", "-out=x"], "gate run -- terraform plan -out=x"),
        (["--reason", "rotate keys", "kubectl", "apply", "-f", "x.yaml"], "gate --reason 'rotate keys' -- kubectl apply -f x.yaml"),
        (["--ticket=CHG-1", "psql", "-c", "select 1"], "gate --ticket=CHG-1 -- psql -c 'select 1'"),
        (["run", "--timeout", "5m", "helm", "upgrade"], "gate run --timeout 5m -- helm upgrade"),
    ])
    func aCommandWithoutDashesOrAMisspeltSubcommandSaysWhatToType(_ args: [String], _ hint: String) throws {
        let s = try Sandbox()
        let r = try s.run(args)
        #expect(r.status == 64)
        #expect(r.stderr.contains("gate: hint: \(hint)"), "\(args): \(r.stderr)")
        #expect(!r.stderr.contains("unexpected argument"), "\(r.stderr)")
    }

    @Test(arguments: [["help", "bogus"], ["help", "audit", "bogus"], ["help", "aprove"]])
    func helpOfSomethingThatDoesNotExistIsAnError(_ args: [String]) throws {
        let r = try Sandbox().run(args)
        #expect(r.status == 64 && r.stderr.contains("is not a command") && r.stdout.isEmpty, "\(r.stderr)")
    }

    @Test func helpOfRealCommandsStillWorks() throws {
        let s = try Sandbox()
        for args in [["help"], ["help", "approve"], ["help", "audit", "verify"], ["--help"], ["approve", "--help"]] {
            let r = try s.run(args)
            #expect(r.status == 0 && r.stdout.contains("USAGE"), "\(args): \(r.stderr)")
        }
    }

    @Test func topLevelHelpListsTheRunOptions() throws {
        let out = try Sandbox().run(["--help"]).stdout
        for flag in ["--reason", "--ticket", "--timeout", "--token", "--break-glass", "--no-wait", "--json-status"] {
            #expect(out.contains(flag), "gate --help lacks \(flag)")
        }
    }

    @Test(arguments: ["0s", "-1s", "0", "5", "1y", "367d", "-5m", "1.5h", ""])
    func aBadTimeoutSaysWhatIsAllowed(_ value: String) throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- true\n")
        for args in [["--timeout", value, "--", "true"], ["--timeout=\(value)", "--", "true"], ["run", "--timeout", value, "--", "true"]] {
            let r = try s.run(args)
            #expect(r.status == 64, "\(args)")
            #expect(r.stderr.contains("from 1s to 366d") || r.stderr.contains("a duration is positive"), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("Missing value"), "\(args): \(r.stderr)")
        }
    }

    @Test func aPublicKeyPassedAsTheKeyIsNamedAsSuch() throws {
        let (s, _) = try Sandbox.withApprover()
        let (requester, id) = try s.pendingRequest(["true"])
        defer { requester.signal(SIGINT); _ = requester.finish() }
        let r = try s.run(["approve", id, "--key", s.path("bob.key.pub")])
        #expect(r.status == 78 && r.stderr.contains("is a public key; pass the secret key file"), "\(r.stderr)")
        #expect(r.stderr.contains("--key \(s.path("bob.key"))"))
    }

    /// `key=$(cat NAME.key.pub)` pastes a valid policy line: the key alone on its first line.
    @Test func thePublicKeyFileCanBePastedIntoAPolicy() throws {
        let s = try Sandbox()
        _ = try s.keygen("bob")
        let pub = try String(contentsOfFile: s.path("bob.key.pub"), encoding: .utf8)
        let line = pub.split(separator: "\n").first.map(String.init) ?? ""
        #expect(line.hasPrefix("gatepk1:") && !line.contains(" "), "\(pub)")
        let shell = try Spawned.run(["sh", "-c", "printf 'version 1\\napprover bob user=bob key=%s\\ndefault require 1\\n' \"$(cat \(s.path("bob.key.pub")))\" > \(s.policyPath); chmod 600 \(s.policyPath)"])
        #expect(shell.status == 0)
        let check = try s.run(["policy", "check"])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test func anUnmatchedCommandHintsAtExplain() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- true\n")
        let r = try s.run(["--", "ls", "-l"])
        #expect(r.status == 77 && r.stderr.contains("denied by policy (default)"))
        #expect(r.stderr.contains("gate: hint: see why: gate policy explain -- ls -l"), "\(r.stderr)")
    }

    @Test func keygenAsRootWarnsThatRootsOwnRequestsCannotBeApproved() throws {
        let s = try Sandbox()
        let r = try s.run(["keygen", "--name", "alice", "--out", s.path("alice.key"), "--no-passphrase"])
        #expect(r.status == 0)
        if getuid() == 0 { #expect(r.stderr.contains("you are root"), "\(r.stderr)") }
        let withUser = try s.run(["keygen", "--name", "carol", "--user", "carol", "--out", s.path("carol.key"), "--no-passphrase"])
        #expect(!withUser.stderr.contains("you are root"))
    }

    /// At a terminal a mistyped passphrase is asked again, three tries in all, as sudo does.
    @Test func aWrongPassphraseGetsThreeTriesAtATerminal() throws {
        let s = try Sandbox()
        try s.write("pass", "correct horse\n", mode: 0o600)
        let bob = try s.run(["keygen", "--name", "bob", "--user", "bob", "--out", s.path("bob.key")], env: ["GATE_PASSPHRASE_FILE": s.path("pass")])
        try s.writePolicy("approver bob user=bob key=\(bob.stdout.trimmingCharacters(in: .whitespacesAndNewlines))\ndefault require 1\n")
        let (requester, id) = try s.pendingRequest(["true"])
        defer { requester.signal(SIGINT); _ = requester.finish() }
        let t = try TerminalTests.Tmux(s)
        try t.type("\(Sandbox.binary) approve \(id) --key \(s.path("bob.key")); echo EXIT=$?")
        _ = try t.waitFor("passphrase for bob")
        try t.type("wrong one")
        _ = try t.waitFor("try again (2 left)")
        try t.type("wrong two")
        _ = try t.waitFor("try again (1 left)")
        try t.type("wrong three")
        let screen = try t.waitFor("\nEXIT=")
        #expect(screen.contains("3 incorrect passphrase attempts") && screen.contains("EXIT=78"), "\(screen)")
        try t.type("clear; \(Sandbox.binary) approve \(id) --key \(s.path("bob.key")); echo EXIT=$?")
        _ = try t.waitFor("passphrase for bob")
        try t.type("wrong one")
        _ = try t.waitFor("try again (2 left)")
        try t.type("correct horse")
        let ok = try t.waitFor("\nEXIT=0")
        #expect(ok.contains("EXIT=0"), "\(ok)")
        // A passphrase file is read once: a wrong one does not get better.
        try s.write("bad", "nope\n", mode: 0o600)
        let (second, next) = try s.pendingRequest(["true"])
        defer { second.signal(SIGINT); _ = second.finish() }
        let r = try s.run(["approve", next, "--key", s.path("bob.key")], env: ["GATE_PASSPHRASE_FILE": s.path("bad")])
        #expect(r.status == 78 && r.stderr.contains("wrong passphrase"), "\(r.stderr)")
    }
}
