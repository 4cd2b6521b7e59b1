import Foundation
import Testing

/// Every way to get a command run without a verified approval for exactly that command:
/// each must refuse with one clear line, its exit code, and a ledger entry.
@Suite(.timeLimit(.minutes(2))) struct RefusalTests {
    /// A sandbox with approver bob, and a token for `sh -c 'echo ok'` issued against an
    /// abandoned request (an offline hand-over).
    static func withToken(ttl: String = "15m") throws -> (Sandbox, String) {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\ndefault require 1\n")
        let id = try s.abandonedRequest(["sh", "-c", "echo ok"])
        let a = try s.run(["approve", id, "--key", s.path("bob.key"), "--ttl", ttl, "--print-token"])
        #expect(a.status == 0, "\(a.stderr)")
        return (s, a.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func expectRefusal(_ s: Sandbox, _ r: Sandbox.Output, status: Int32 = 77, message: String, code: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.status == status, "status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("gate: error: ") && r.stderr.contains(message), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
        let last = try s.lastEntry()
        #expect(last.kind == "refused", "last ledger entry: \(last.kind)", sourceLocation: sourceLocation)
        if let code { #expect(last.payload["code"] as? String == code, sourceLocation: sourceLocation) }
    }

    @Test func preIssuedTokenRunsOnceThenIsAReplay() throws {
        let (s, token) = try Self.withToken()
        let first = try s.run(["--token", token, "--", "sh", "-c", "echo ok"])
        #expect(first.status == 0 && first.stdout == "ok\n", "\(first.stderr)")
        let again = try s.run(["--token", token, "--", "sh", "-c", "echo ok"])
        try Self.expectRefusal(s, again, message: "token was already used", code: "replayed")
        // Also through the environment, and through @FILE.
        try s.write("tok", token + "\n")
        try Self.expectRefusal(s, try s.run(["--", "sh", "-c", "echo ok"], env: ["GATE_TOKEN": token]), message: "token was already used")
        try Self.expectRefusal(s, try s.run(["--token", "@" + s.path("tok"), "--", "sh", "-c", "echo ok"]), message: "token was already used")
    }

    @Test func tokenForAnotherArgvIsRefused() throws {
        let (s, token) = try Self.withToken()
        let r = try s.run(["--token", token, "--", "sh", "-c", "echo ok; rm -rf /tmp/x"])
        try Self.expectRefusal(s, r, message: "token approves intent", code: "intent-mismatch")
        // In another directory, the same argv is another intent.
        try FileManager.default.createDirectory(atPath: s.path("elsewhere"), withIntermediateDirectories: true)
        try Self.expectRefusal(s, try s.run(["--token", token, "--", "sh", "-c", "echo ok"], cwd: s.path("elsewhere")),
                               message: "token approves intent", code: "intent-mismatch")
    }

    @Test func expiredTokenIsRefused() throws {
        let (s, token) = try Self.withToken(ttl: "1s")
        sleep(2)
        try Self.expectRefusal(s, try s.run(["--token", token, "--", "sh", "-c", "echo ok"]), message: "token expired at", code: "expired")
    }

    @Test func tokenFromAKeyThePolicyDoesNotTrust() throws {
        let (s, token) = try Self.withToken()
        let carol = try s.keygen("carol")
        try s.writePolicy("approver carol user=carol key=\(carol)\ndefault require 1\n")
        try Self.expectRefusal(s, try s.run(["--token", token, "--", "sh", "-c", "echo ok"]),
                               message: "which the policy does not trust", code: "untrusted-key")
    }

    @Test func selfApprovalIsRefusedOnBothSides() throws {
        let s = try Sandbox()
        let me = try s.keygen("me")
        let user = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
        // The approver's side: gate approve refuses before signing.
        try s.writePolicy("approver me user=\(user) key=\(me)\ndefault require 1\n")
        let id = try s.abandonedRequest(["sh", "-c", "echo ok"])
        let a = try s.run(["approve", id, "--key", s.path("me.key"), "--print-token"])
        try Self.expectRefusal(s, a, message: "no one decides their own request", code: "self-approval")
        // The requester's side: a token signed while another policy named someone else as the
        // key's owner is still refused when the policy in force says it is the requester's.
        try s.writePolicy("approver me user=someone-else key=\(me)\ndefault require 1\n", to: "etc/other-policy")
        let signed = try s.run(["approve", id, "--key", s.path("me.key"), "--print-token"], env: ["GATE_POLICY": s.path("etc/other-policy")])
        #expect(signed.status == 0, "\(signed.stderr)")
        let r = try s.run(["--token", signed.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--", "sh", "-c", "echo ok"])
        try Self.expectRefusal(s, r, message: "who is the requester", code: "self-approval")
    }

    @Test func malformedTokensAreRefused() throws {
        let (s, token) = try Self.withToken()
        try Self.expectRefusal(s, try s.run(["--token", "not-a-token", "--", "sh", "-c", "echo ok"]),
                               message: "malformed token: not a gate token", code: "malformed-token")
        try Self.expectRefusal(s, try s.run(["--token", token + "x", "--", "sh", "-c", "echo ok"]), message: "malformed token")
        try Self.expectRefusal(s, try s.run(["--token", "gate9." + token.dropFirst(6), "--", "sh", "-c", "echo ok"]),
                               message: "malformed token: unknown token version")
        // A flipped bit in the signature: well formed, forged.
        var chars = Array(token)
        chars[chars.count - 10] = chars[chars.count - 10] == "A" ? "B" : "A"
        try Self.expectRefusal(s, try s.run(["--token", String(chars), "--", "sh", "-c", "echo ok"]),
                               message: "signature does not verify", code: "bad-signature")
    }

    @Test func missingAndGarbledPolicies() throws {
        let s = try Sandbox()
        try Self.expectRefusal(s, try s.run(["--", "true"]), status: 78, message: "no policy at \(s.policyPath)", code: "config")
        try s.write("etc/policy", "version 1\nallow -- true\nallow true\n", mode: 0o600)
        let r = try s.run(["--", "true"])
        try Self.expectRefusal(s, r, status: 78, message: "\(s.policyPath):3: expected '--'")
        #expect(r.stderr.contains("gate: hint:"))
        try s.write("etc/policy", "version 1\nallow -- true\n", mode: 0o666)
        try Self.expectRefusal(s, try s.run(["--", "true"]), status: 78, message: "is writable by group or others")
    }

    @Test func deniedByPolicy() throws {
        let s = try Sandbox()
        try s.writePolicy("default allow\ndeny \"use the pipeline\" -- rm ...\n")
        try Self.expectRefusal(s, try s.run(["--", "rm", "-rf", s.path("x")]), message: "denied by policy (line 3): use the pipeline",
                               code: "policy-deny")
    }

    @Test func secretKeyWithLoosePermissionsIsRefused() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\ndefault require 1\n")
        let id = try s.abandonedRequest(["true"])
        chmod(s.path("bob.key"), 0o644)
        let r = try s.run(["approve", id, "--key", s.path("bob.key")])
        #expect(r.status == 78)
        #expect(r.stderr.contains("gate: error: secret key \(s.path("bob.key")) is accessible by group or others (mode 0644)"))
        #expect(r.stderr.contains("gate: hint: chmod 600"))
    }

    @Test func damagedKeyFilesAndWrongPassphrase() throws {
        let s = try Sandbox()
        try s.write("pass", "correct horse\n", mode: 0o600)
        let k = try s.run(["keygen", "--name", "dana", "--out", s.path("dana.key")], env: ["GATE_PASSPHRASE_FILE": s.path("pass")])
        #expect(k.status == 0, "\(k.stderr)")
        let dana = k.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try s.writePolicy("approver dana user=dana key=\(dana)\ndefault require 1\n")
        let id = try s.abandonedRequest(["true"])
        try s.write("wrong", "battery staple\n", mode: 0o600)
        let wrong = try s.run(["approve", id, "--key", s.path("dana.key")], env: ["GATE_PASSPHRASE_FILE": s.path("wrong")])
        #expect(wrong.status == 78 && wrong.stderr.contains("wrong passphrase"))
        let right = try s.run(["approve", id, "--key", s.path("dana.key")], env: ["GATE_PASSPHRASE_FILE": s.path("pass")])
        #expect(right.status == 0, "\(right.stderr)")
        try s.write("junk.key", "hello\n", mode: 0o600)
        let junk = try s.run(["approve", id, "--key", s.path("junk.key")])
        #expect(junk.status == 78 && junk.stderr.contains("is not a valid gate secret key"))
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let s = try Sandbox()
        let r = try s.run(["--frobnicate"])
        #expect(r.status == 64 && r.stderr.hasPrefix("gate: error: "))
        #expect(try s.run(["--timeout", "soon", "--", "true"]).status == 64)
        #expect(try s.run(["--"]).status == 64)
        #expect(try s.run(["show", "UUUU"]).status == 64)
        #expect(!r.stderr.contains("Fatal error"))
    }
}
