import Foundation
import Testing

/// The review's forged history (issue 12): someone who can write state.db (every member of the
/// old shared-directory set-up) appends a chained start "approved by alice" with a key they made.
/// The owner's next checkpoint seals it; verify, evidence and the independent verifier must still
/// refuse it, naming the entry, because the recorded policy never named that key.
@Suite struct ForgedHistoryTests {
    static let forge = GeneratedFilesTests.root.appendingPathComponent("Tests/GateE2ETests/Fixtures/forge_started.py").path
    static let tools = GeneratedFilesTests.root.appendingPathComponent("tools").path

    /// A ledger with one real approved run, then the forged pair appended and sealed.
    static func forged(withPolicy: Bool = false, unrecordedPolicy: Bool = false) throws -> (Sandbox, String) {
        let (s, _) = try Sandbox.withApprover()
        let (requester, id) = try s.pendingRequest(["sh", "-c", "exit 0"])
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        #expect(requester.finish().status == 0)
        var args = ["python3", forge, s.home + "/state.db", tools, "bob"]
        if withPolicy { args.append(s.policyPath) }
        if unrecordedPolicy { args.append("--unrecorded-policy") }
        let forged = try Spawned.run(args)
        #expect(forged.status == 0, "\(forged.stderr)")
        // The ledger's owner seals whatever is there.
        #expect(try s.run(["audit", "checkpoint"]).status == 0)
        return (s, forged.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func anApprovalByAKeyThePolicyNeverNamedFailsVerificationWithItsEntry() throws {
        let (s, run) = try Self.forged()
        let verify = try s.run(["audit", "verify"])
        #expect(verify.status == 65, "\(verify.stdout)")
        #expect(verify.stderr.contains("which the policy in force") && verify.stderr.contains("does not name"), "\(verify.stderr)")
        let seq = try s.ledger().first { ($0["request_id"] as? String) == run && ($0["kind"] as? String) == "started" }?["seq"] as? Int ?? 0
        #expect(verify.stderr.contains("entry \(seq):"), "\(verify.stderr)")
        // The independent verifier, on an export of the whole ledger.
        let export = s.path("ledger.jsonl")
        let exported = try s.run(["audit", "export"])
        #expect(exported.status == 0)
        try s.write("ledger.jsonl", exported.stdout)
        let py = try EvidenceTests.python(["ledger", export])
        #expect(py.status == 1 && py.stderr.contains("entry \(seq): approval by key"), "\(py.stderr)")
        // Evidence for it is refused, and a bundle built by hand is rejected: the keys come from
        // the policy the start names.
        let ev = try s.run(["audit", "evidence", run, "--out", s.path("forged.json")])
        #expect(ev.status == 65 && ev.stderr.contains("not in the policy the run was decided under"), "\(ev.stderr)")
        // The bundle the attacker builds by hand: a chain segment that reaches the owner's
        // signed checkpoint and the recorded policy (the verifier takes keys from nowhere else).
        let entries = try s.ledger().drop { ($0["request_id"] as? String) != run }
        let checkpoint = try s.run(["audit", "checkpoint"]).stdout
        let policy = try s.ledger().first { ($0["kind"] as? String) == "policy" }?["payload"] as? [String: Any]
        let started = entries.first { ($0["kind"] as? String) == "started" }?["payload"] as? [String: Any] ?? [:]
        let token = ((started["approvals"] as? [[String: Any]])?.first?["token"] as? String) ?? ""
        let attackerKey = try Spawned.run(["python3", "-c", """
            import sys; sys.path.insert(0, sys.argv[1]); import gate_verify as g
            t = g.parse_token(sys.argv[2]); print(t["key_id"].hex().upper())
            """, Self.tools, token]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let ledgerID = checkpoint.split(separator: "\n").first { $0.hasPrefix("ledger ") }.map { String($0.dropFirst(7)) } ?? ""
        let bundle: [String: Any] = [
            "format": "gate-evidence-v2", "run": run, "ledger_id": ledgerID,
            "ledger_key": try s.run(["audit", "key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            "checkpoint": checkpoint, "approver_keys": [[String: Any]](), "policy": policy?["text"] as? String ?? "",
            "entries": Array(entries),
        ]
        try JSONSerialization.data(withJSONObject: bundle).write(to: URL(fileURLWithPath: s.path("hand.json")))
        let v = try EvidenceTests.python(["evidence", s.path("hand.json")])
        #expect(v.status == 1 && v.stderr.contains("approval by key \(attackerKey), which the policy the run was decided under does not name"), "\(v.stderr)")
    }

    @Test func aForgedPolicyEntryIsShownAsAPolicyChange() throws {
        // A thorough forger also appends a policy naming their key. The chain then verifies (gate
        // cannot tell a forged policy entry from a real one in a database others can write: the
        // daemon is the answer), but the forgery is in plain sight: a policy change in the log
        // that the policy file never had.
        let (s, _) = try Self.forged(withPolicy: true)
        let log = try s.run(["log"]).stdout
        #expect(log.contains("policy ") && log.contains("in force from here"), "\(log)")
        let lines = log.split(separator: "\n").filter { $0.contains("  policy ") }
        #expect(lines.count == 2, "\(log)")
    }

    @Test func aStartUnderAPolicyTheLedgerNeverRecordedFailsVerification() throws {
        let (s, _) = try Self.forged(unrecordedPolicy: true)
        let verify = try s.run(["audit", "verify"])
        #expect(verify.status == 65 && verify.stderr.contains("which the ledger never recorded"), "\(verify.stderr)")
        let exported = try s.run(["audit", "export"])
        try s.write("ledger.jsonl", exported.stdout)
        let py = try EvidenceTests.python(["ledger", s.path("ledger.jsonl")])
        #expect(py.status == 1 && py.stderr.contains("which the ledger never recorded"), "\(py.stderr)")
    }
}
