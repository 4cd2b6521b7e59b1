import Foundation
import Testing

/// A policy changed while a request waits has its say at exec: the policy in force then must
/// allow the run too. A new `deny` stops an approved request; a stricter requirement must be met
/// by the approvals given.
@Suite(.timeLimit(.minutes(2))) struct PolicyChangeTests {
    @Test func aNewDenyStopsAnApprovedRequest() throws {
        let (s, bob) = try Sandbox.withApprover()
        let (requester, id) = try s.pendingRequest(["sh", "-c", "echo RAN"])
        try s.writePolicy("approver bob user=bob key=\(bob)\ndeny \"frozen: change window closed\" -- sh ...\ndefault require 1\n")
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        let out = requester.finish()
        #expect(out.status == 77 && !out.stdout.contains("RAN") && out.stderr.contains("now denies it"), "\(out)")
        let refused = try s.lastEntry()
        #expect(refused.kind == "refused" && refused.payload["code"] as? String == "policy-deny", "\(refused)")
    }

    @Test func aStricterRequirementMustBeMetToo() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob"), carol = try s.keygen("carol")
        try s.writePolicy("approver bob user=bob key=\(bob)\napprover carol user=carol key=\(carol)\ngroup sre bob carol\ndefault require 1 of sre\n")
        // The requester waits under "1 of sre"; the policy becomes "2 of sre"; one approval arrives.
        let requester = try s.start(["--", "sh", "-c", "echo RAN"])
        let id = try s.waitForPending()
        try s.writePolicy("approver bob user=bob key=\(bob)\napprover carol user=carol key=\(carol)\ngroup sre bob carol\ndefault require 2 of sre\n")
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        let out = requester.finish()
        #expect(out.stderr.contains("it now needs 2 of sre"), "\(out)")
        #expect(out.status == 77 && !out.stdout.contains("RAN"), "\(out)")
    }

    /// A rule that now asks for other things (here a ticket) was not the rule the request was
    /// decided, bound and shown under: the run is refused, not waved through without them.
    @Test func aRuleThatNowAsksForMoreRefuses() throws {
        let (s, bob) = try Sandbox.withApprover()
        let (requester, id) = try s.pendingRequest(["sh", "-c", "echo RAN"])
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 ticket -- sh ...\n")
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        let out = requester.finish()
        #expect(out.status == 77 && !out.stdout.contains("RAN") && out.stderr.contains("now asks for other things"), "\(out)")
    }
}
