import Foundation
import Testing

/// Issue 11: a token is good only for its request, while that request stands. Every way a
/// token arrives (`--token`, `GATE_TOKEN`, the wait) is refused once the request is denied,
/// withdrawn, expired or run, and tokens of different requests never combine.
@Suite(.timeLimit(.minutes(3))) struct TokenStateTests {
    /// alice, bob and carol in group sre, with `rules`.
    static func sandbox(_ rules: String) throws -> Sandbox {
        let s = try Sandbox()
        let keys = try ["alice", "bob", "carol"].map { ($0, try s.keygen($0)) }
        try s.writePolicy(keys.map { "approver \($0.0) user=\($0.0) key=\($0.1)\n" }.joined() + "group sre alice bob carol\n" + rules)
        return s
    }

    static func token(_ s: Sandbox, _ id: String, by who: String, deny: Bool = false) throws -> String {
        let r = try s.run(deny ? ["deny", id, "--key", s.path("\(who).key"), "--reason", "no"]
                               : ["approve", id, "--key", s.path("\(who).key"), "--print-token"])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let command = ["sh", "-c", "echo ran"]

    /// A refusal that ran nothing: 77, one line, a `refused` entry, no new `started`.
    static func expectRefused(_ s: Sandbox, _ r: Sandbox.Output, _ message: String, code: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.status == 77 && r.stdout.isEmpty, "status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("gate: error: ") && r.stderr.contains(message), "\(r.stderr)", sourceLocation: sourceLocation)
        let last = try s.lastEntry()
        #expect(last.kind == "refused" && last.payload["code"] as? String == code, "\(last)", sourceLocation: sourceLocation)
    }

    static func started(_ s: Sandbox) throws -> Int { try s.ledger().filter { $0["kind"] as? String == "started" }.count }

    @Test func aDeniedRequestDoesNotRunWithAnotherApproversToken() throws {
        let s = try Self.sandbox("require 1 of sre -- sh ...\n")
        let id = try s.abandonedRequest(Self.command)
        let approval = try Self.token(s, id, by: "alice")
        _ = try Self.token(s, id, by: "bob", deny: true)
        try Self.expectRefused(s, try s.run(["--token", approval, "--"] + Self.command), "denied", code: "denied")
        try Self.expectRefused(s, try s.run(["--"] + Self.command, env: ["GATE_TOKEN": approval]), "denied", code: "denied")
        #expect(try Self.started(s) == 0)
    }

    @Test func aWithdrawnRequestDoesNotRun() throws {
        let s = try Self.sandbox("require 2 of sre -- sh ...\n")
        let r = try s.start(["--"] + Self.command)
        let id = try s.waitForPending()
        let a = try Self.token(s, id, by: "alice")
        r.signal(SIGINT)
        #expect(r.finish().status == 75)
        // bob cannot decide a withdrawn request; and alice's token, with a token bob gives for
        // another request of the same command, does not make up "2 of sre".
        let other = try s.abandonedRequest(Self.command)
        let b = try Self.token(s, other, by: "bob")
        try Self.expectRefused(s, try s.run(["--token", a, "--token", b, "--"] + Self.command), "never combine", code: "other-request")
        try Self.expectRefused(s, try s.run(["--token", a, "--"] + Self.command), "withdrawn", code: "request-not-standing")
        // The same token twice is one approval.
        try Self.expectRefused(s, try s.run(["--token", b, "--token", b, "--"] + Self.command), "not enough approvals", code: "insufficient")
        #expect(try Self.started(s) == 0)
    }

    @Test func anExpiredRequestDoesNotRun() throws {
        let s = try Self.sandbox("require 1 of sre ttl=2s -- sh ...\n")
        let id = try s.abandonedRequest(Self.command)
        let a = try Self.token(s, id, by: "alice")
        sleep(3)
        try Self.expectRefused(s, try s.run(["--token", a, "--"] + Self.command), "expired", code: "request-not-standing")
        #expect(try Self.started(s) == 0)
    }

    @Test func aRequestRunsOnceWhateverTokensItHas() throws {
        let s = try Self.sandbox("require 1 of sre -- sh ...\n")
        let id = try s.abandonedRequest(Self.command)
        let a = try Self.token(s, id, by: "alice")
        let b = try Self.token(s, id, by: "bob")
        let first = try s.run(["--token", a, "--"] + Self.command)
        #expect(first.status == 0 && first.stdout == "ran\n", "\(first.stderr)")
        // bob's token was on record when the request ran: it was one of the run's approvals, and
        // is used up with alice's. A replay of either is refused, and one start is on record.
        try Self.expectRefused(s, try s.run(["--token", b, "--"] + Self.command), "already used", code: "replayed")
        try Self.expectRefused(s, try s.run(["--token", a, "--"] + Self.command), "already used", code: "replayed")
        let approvers = (try s.ledger().first { $0["kind"] as? String == "started" }?["payload"] as? [String: Any])?["approvals"] as? [[String: Any]]
        #expect(approvers?.compactMap { $0["approver"] as? String } == ["alice", "bob"])
        #expect(try Self.started(s) == 1)
    }

    @Test func aTokenForARequestThisHostDoesNotHoldIsRefused() throws {
        let s = try Self.sandbox("require 1 of sre -- sh ...\n")
        let id = try s.abandonedRequest(Self.command)
        let a = try Self.token(s, id, by: "alice")
        // Another host (another state directory with the same policy): the request is not there.
        let elsewhere = ["GATE_HOME": s.path("other-home")]
        let r = try s.run(["--token", a, "--"] + Self.command, env: elsewhere)
        #expect(r.status == 77 && r.stderr.contains("not known here"), "\(r.stderr)")
    }

    /// Refusals of a presented token are filed under the invocation's own id: the run's evidence
    /// never holds what another invocation did with its token.
    @Test func refusalsAreFiledUnderTheirOwnID() throws {
        let s = try Self.sandbox("require 1 of sre -- sh ...\n")
        let id = try s.abandonedRequest(Self.command)
        let a = try Self.token(s, id, by: "alice")
        #expect(try s.run(["--token", a, "--"] + Self.command).status == 0)
        _ = try s.run(["--token", a, "--", "sh", "-c", "echo other"])
        let compact = id.replacingOccurrences(of: "-", with: "")
        let kinds = try s.ledger().filter { ($0["request_id"] as? String) == compact }.compactMap { $0["kind"] as? String }
        #expect(!kinds.contains("refused"), "\(kinds)")
    }

    /// An interrupt that arrives once the approvals are in but before the start withdraws the
    /// request on record: its approvals cannot run it afterwards.
    @Test func anInterruptBeforeTheStartWithdrawsTheRequest() throws {
        let s = try Self.sandbox("require 2 of sre -- sh ...\n")
        let r = try s.start(["--"] + Self.command)
        let id = try s.waitForPending()
        r.signal(SIGSTOP)
        let a = try Self.token(s, id, by: "alice")
        let b = try Self.token(s, id, by: "bob")
        r.signal(SIGINT)
        r.signal(SIGCONT)
        let out = r.finish()
        #expect(out.status == 75 && out.stdout.isEmpty, "\(out)")
        try Self.expectRefused(s, try s.run(["--token", a, "--token", b, "--"] + Self.command), "withdrawn", code: "request-not-standing")
        #expect(try Self.started(s) == 0)
    }
}
