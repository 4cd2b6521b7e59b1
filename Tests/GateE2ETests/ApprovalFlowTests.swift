import Foundation
import Testing

/// The core loop through the real binary: request, decision, verified run, record.
@Suite(.timeLimit(.minutes(2))) struct ApprovalFlowTests {
    static func sandbox(default rule: String = "default require 1") throws -> (Sandbox, String) {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nallow -- true\n\(rule)\n")
        return (s, bob)
    }

    @Test func approvedCommandRunsAndItsStatusPassesThrough() throws {
        let (s, _) = try Self.sandbox()
        let requester = try s.start(["--reason", "e2e", "--", "sh", "-c", "echo child ran; exit 7"])
        let id = try s.waitForPending()
        let show = try s.run(["show", id])
        #expect(show.stdout.contains("sh -c 'echo child ran; exit 7'"))
        #expect(show.stdout.contains("reason      e2e"))
        let approve = try s.run(["approve", String(id.prefix(4)), "--key", s.path("bob.key")])
        #expect(approve.status == 0, "\(approve.stderr)")
        let r = requester.finish()
        #expect(r.status == 7)
        #expect(r.stdout == "child ran\n")
        #expect(r.stderr.contains("gate: approval required"))
        #expect(r.stderr.contains("gate: an approver runs: gate approve \(id)"))
        let kinds = try s.ledger().map { $0["kind"] as? String ?? "" }
        #expect(kinds == ["policy", "requested", "approved", "started", "finished"])
        #expect(try s.lastEntry().payload["exit_code"] as? Int == 7)
        let verify = try s.run(["audit", "verify"])
        #expect(verify.status == 0 && verify.stdout.hasPrefix("ledger ok: 5 entries"))
        #expect(verify.stdout.contains("approvals: every approval of 1 run is by a key the policy in force named"), "\(verify.stdout)")
    }

    @Test func deniedRequestDoesNotRun() throws {
        let (s, _) = try Self.sandbox()
        let marker = s.path("ran")
        let requester = try s.start(["--", "touch", marker])
        let id = try s.waitForPending()
        let deny = try s.run(["deny", id, "--key", s.path("bob.key"), "--reason", "not today"])
        #expect(deny.status == 0, "\(deny.stderr)")
        let r = requester.finish()
        #expect(r.status == 77)
        #expect(r.stderr.contains("gate: error: request \(id) denied by bob: not today"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(try s.ledger().map { $0["kind"] as? String ?? "" } == ["policy", "requested", "denied"])
    }

    @Test func allowedCommandsAreRecordedAndPassStatusAndSignals() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- sh ...\n")
        #expect(try s.run(["--", "sh", "-c", "exit 7"]).status == 7)
        #expect(try s.run(["run", "--", "sh", "-c", "exit 0"]).status == 0)
        #expect(try s.run(["--", "sh", "-c", "kill -TERM $$"]).status == 143)
        let last = try s.lastEntry()
        #expect(last.kind == "finished" && last.payload["signal"] as? Int == 15)
        let kinds = try s.ledger().map { $0["kind"] as? String ?? "" }
        #expect(kinds == ["started", "finished", "started", "finished", "started", "finished"])
    }

    @Test func childReadsStandardInput() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- sh ...\n")
        try s.write("input", "hello from stdin\n")
        let r = try s.run(["--", "sh", "-c", "read line; echo got: $line"], stdin: s.path("input"))
        #expect(r.stdout == "got: hello from stdin\n")
    }

    @Test func notFoundAndNotExecutableAreRefusedLikeAShell() throws {
        let s = try Sandbox()
        try s.writePolicy("default allow\n")
        let nf = try s.run(["--", "no-such-command-gate-test"])
        #expect(nf.status == 127 && nf.stderr.contains("gate: error: no-such-command-gate-test: command not found"))
        #expect(try s.lastEntry().kind == "refused")
        try s.write("script.sh", "#!/bin/sh\necho hi\n", mode: 0o644)
        let ne = try s.run(["--", s.path("script.sh")])
        #expect(ne.status == 126 && ne.stderr.contains("not executable"))
    }

    @Test func interruptWhileWaitingCancelsAndRecords() throws {
        let (s, _) = try Self.sandbox()
        let requester = try s.start(["--", "sh", "-c", "exit 0"])
        let id = try s.waitForPending()
        requester.signal(SIGINT)
        let r = requester.finish()
        #expect(r.status == 75)
        #expect(r.stderr.contains("gate: error: cancelled: request \(id) withdrawn"))
        let last = try s.lastEntry()
        #expect(last.kind == "cancelled" && (last.payload["why"] as? String ?? "").contains("signal 2"))
        #expect(try s.run(["list"]).stdout == "no pending requests or reviews\n")
        // A cancelled request cannot be approved afterwards.
        let late = try s.run(["approve", id, "--key", s.path("bob.key")])
        #expect(late.status == 77 && late.stderr.contains("is cancelled, not pending"))
        #expect(try s.lastEntry().payload["code"] as? String == "not-pending")
    }

    @Test func aSignalAtAnyMomentLeavesNoRequestBehind() throws {
        let (s, _) = try Self.sandbox()
        try s.run(["--", "true"])  // the state database exists, as it would on a used host
        var delays: [UInt32] = (0..<40).map { UInt32($0) * 1_000 }  // 0 to 39 ms after start
        delays.shuffle()
        for delay in delays {
            let r = try s.start(["--timeout", "30s", "--", "sh", "-c", "true"])
            usleep(delay)
            r.signal(SIGTERM)
            let out = r.finish()
            #expect(out.status == 75 || out.status == 143, "delay \(delay) µs: \(out.status) \(out.stderr)")
        }
        var requested = Set<String>(), cancelled = Set<String>()
        for e in try s.ledger() {
            let id = e["request_id"] as? String ?? ""
            if e["kind"] as? String == "requested" { requested.insert(id) }
            if e["kind"] as? String == "cancelled" { cancelled.insert(id) }
        }
        #expect(requested == cancelled, "requests left without a recorded withdrawal")
        #expect(try s.run(["list", "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }

    @Test func timeoutWithdrawsTheRequest() throws {
        let (s, _) = try Self.sandbox()
        let r = try s.run(["--timeout", "1s", "--", "sh", "-c", "exit 0"])
        #expect(r.status == 75 && r.stderr.contains("no decision"))
        #expect(try s.lastEntry().kind == "cancelled")
    }

    @Test func executableSwappedAfterApprovalIsRefused() throws {
        let (s, _) = try Self.sandbox()
        try s.write("deploy", "#!/bin/sh\necho deploying\n", mode: 0o755)
        let requester = try s.start(["--", s.path("deploy")])
        let id = try s.waitForPending()
        // Swapped between the approval (which re-hashes it) and the run: the requester is held
        // (SIGSTOP) while the approver signs, so the swap lands after approval, before exec.
        requester.signal(SIGSTOP)
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        try s.write("deploy", "#!/bin/sh\necho something else\n", mode: 0o755)
        requester.signal(SIGCONT)
        let r = requester.finish()
        #expect(r.status == 77)
        #expect(r.stderr.contains("refusing to run: the executable \(s.path("deploy")) changed since it was approved"))
        #expect(r.stdout.isEmpty)
        #expect(try s.lastEntry().payload["code"] as? String == "intent-changed")
    }

    @Test func twoOfTwoNeedsTwoPeople() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob"), carol = try s.keygen("carol")
        try s.writePolicy("""
            approver bob user=bob key=\(bob)
            approver carol user=carol key=\(carol)
            group sre bob carol
            require 2 of sre -- sh ...
            """)
        let requester = try s.start(["--", "sh", "-c", "echo ok"])
        let id = try s.waitForPending()
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        let twice = try s.run(["approve", id, "--key", s.path("bob.key")])  // same person twice
        #expect(twice.status == 77 && twice.stderr.contains("bob already approved"), "\(twice.stderr)")
        usleep(300_000)
        #expect(requester.isRunning, "ran with one person's approvals")
        #expect(try s.run(["approve", id, "--key", s.path("carol.key")]).status == 0)
        let r = requester.finish()
        #expect(r.status == 0 && r.stdout == "ok\n")
        #expect(r.stderr.contains("approved by bob, carol"))
    }
}
