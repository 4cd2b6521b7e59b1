import Foundation
import Testing

/// What `gate approve` checks before it signs (issue 15, items 4–6): nobody approves a plan
/// that changed after it was shown, a request that ended, or the same request twice; and a token
/// runs its request with the ticket and reason it was filed with.
@Suite(.timeLimit(.minutes(2))) struct ApproveChecksTests {
    static func sandbox(_ rules: String) throws -> Sandbox {
        let s = try Sandbox()
        let bob = try s.keygen("bob"), carol = try s.keygen("carol")
        try s.writePolicy("approver bob user=bob key=\(bob)\napprover carol user=carol key=\(carol)\n" + rules)
        return s
    }

    func approve(_ s: Sandbox, _ id: String, as who: String = "bob", _ extra: [String] = []) throws -> Sandbox.Output {
        try s.run(["approve", id, "--key", s.path("\(who).key")] + extra)
    }

    @Test(arguments: ["rewrite", "remove", "swap"])
    func aBoundFileChangedBeforeApprovalIsNotSigned(_ change: String) throws {
        let s = try Self.sandbox("require 1 bind={3} -- sh ...\n")
        try s.write("plan", "0 to destroy\n")
        let requester = try s.start(["--", "sh", "-c", "cat \"$0\"", s.path("plan")])
        let id = try s.waitForPending()
        switch change {
        case "rewrite": try s.write("plan", "17 to destroy\n")
        case "remove": try FileManager.default.removeItem(atPath: s.path("plan"))
        default:
            try s.write("other", "17 to destroy\n")
            try FileManager.default.removeItem(atPath: s.path("plan"))
            try FileManager.default.createSymbolicLink(atPath: s.path("plan"), withDestinationPath: s.path("other"))
        }
        let r = try approve(s, id)
        #expect(r.status == 77, "\(r.stderr)")
        #expect(r.stderr.contains("nothing was signed"), "\(r.stderr)")
        if change == "rewrite" { #expect(r.stderr.contains("the plan changed since the request"), "\(r.stderr)") }
        let kinds = try s.ledger().map { $0["kind"] as? String ?? "" }
        #expect(!kinds.contains("approved") && kinds.last == "refused")
        #expect(try s.lastEntry().payload["code"] as? String == "intent-changed")
        requester.signal(SIGINT)
        _ = requester.finish()
    }

    @Test func aSwappedExecutableBeforeApprovalIsNotSigned() throws {
        let s = try Self.sandbox("default require 1\n")
        try s.write("tool.sh", "#!/bin/sh\necho safe\n", mode: 0o755)
        let requester = try s.start(["--", s.path("tool.sh")])
        let id = try s.waitForPending()
        try s.write("tool.sh", "#!/bin/sh\necho rm -rf\n", mode: 0o755)
        let r = try approve(s, id)
        #expect(r.status == 77 && r.stderr.contains("changed since the request"), "\(r.stderr)")
        requester.signal(SIGINT)
        _ = requester.finish()
    }

    /// A run refused after approval ends its request; it cannot be approved again.
    @Test func aRequestRefusedAtRunTimeIsNotApprovableAgain() throws {
        let s = try Self.sandbox("require 1 -- touch ...\n")
        let requester = try s.start(["--", "touch", s.path("ran")])
        let id = try s.waitForPending()
        // The policy changes while it waits: now it denies, so the approved run is refused.
        let text = try String(contentsOfFile: s.policyPath, encoding: .utf8)
        try s.write("etc/policy", text.replacingOccurrences(of: "require 1 -- touch ...", with: "deny -- touch ..."), mode: 0o600)
        #expect(try approve(s, id).status == 0)
        let r = requester.finish()
        #expect(r.status == 77 && r.stderr.contains("policy changed"), "\(r.stderr)")
        let again = try approve(s, id, as: "carol", ["--print-token"])
        #expect(again.status == 77 && again.stderr.contains("is refused, not pending"), "\(again.stderr)")
        #expect(again.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: s.path("ran")))
    }

    /// A token runs its request as filed: another ticket or reason is refused, none given takes
    /// the request's.
    @Test func aTokenRunsWithItsRequestsTicketAndReason() throws {
        let s = try Self.sandbox("require 1 ticket reason -- touch ...\n")
        let requester = try s.start(["--ticket", "CHG-44", "--reason", "rotate", "--", "touch", s.path("ran")])
        let id = try s.waitForPending()
        requester.signal(SIGKILL)
        _ = requester.finish()
        let token = try approve(s, id, ["--print-token"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!token.isEmpty)
        for extra in [["--ticket", "CHG-60"], ["--reason", "something else"], ["--ticket", "CHG-60", "--reason", "rotate"]] {
            let r = try s.run(["--token", token] + extra + ["--", "touch", s.path("ran")])
            #expect(r.status == 77 && r.stderr.contains("was filed with"), "\(extra): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: s.path("ran")))
        }
        let ok = try s.run(["--token", token, "--", "touch", s.path("ran")])
        #expect(ok.status == 0, "\(ok.stderr)")
        let started = try s.ledger().first { $0["kind"] as? String == "started" }
        #expect((started?["payload"] as? [String: Any])?["reason"] as? String == "rotate")
    }

    @Test func approvingTwiceSaysSoAndProgressIsShown() throws {
        let s = try Self.sandbox("require 2 -- touch ...\n")
        let requester = try s.start(["--", "touch", s.path("ran")])
        let id = try s.waitForPending()
        #expect(try approve(s, id).status == 0)
        let twice = try approve(s, id)
        #expect(twice.status == 77, "\(twice.stderr)")
        #expect(twice.stderr.contains("bob already approved request \(id); still needs 1 more"), "\(twice.stderr)")
        #expect(try s.ledger().filter { $0["kind"] as? String == "approved" }.count == 1)
        let show = try s.run(["show", id]).stdout
        #expect(show.contains("approvals   1 of 2 (bob); still needs 1 more"), "\(show)")
        #expect(try approve(s, id, as: "carol").status == 0)
        let r = requester.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("gate: approved by bob: 1 of 2 (bob); still needs 1 more"), "\(r.stderr)")
        let late = try approve(s, id)
        #expect(late.status == 77 && late.stderr.contains("not pending"), "\(late.stderr)")
    }
}
