import Foundation
import Testing

/// The review's swapped plan (issue 12): context outputs were not part of what the approver
/// signs, and `gate show` checked them only against the digest in the editable requests row. Now
/// the outputs' digests are in the intent: an approval covers what was shown, a stored context
/// that differs from the bound one is refused by show and approve, and a row edited to match
/// differs from the request's chained ledger entry.
@Suite(.timeLimit(.minutes(2))) struct ContextBindingTests {
    /// Swaps the plan output a pending request shows for `text`, as someone who can write the
    /// database would: a new blob and the context JSON pointing at it; with `intentToo`, the
    /// intent in the row is re-encoded to bind the new digest as well.
    static let swap = """
        import hashlib, json, sqlite3, sys
        sys.path.insert(0, sys.argv[2]); import gate_verify as g
        db = sqlite3.connect(sys.argv[1]); text = sys.argv[3].encode(); intent_too = sys.argv[4] == "1"
        rid, ctx, intent = db.execute("SELECT id, context, intent FROM requests WHERE status = 'pending'").fetchone()
        d = hashlib.blake2b(text, digest_size=32).digest()
        db.execute("INSERT OR IGNORE INTO context_blobs(digest, encoding, size, data) VALUES (?, 'raw', ?, ?)", (d, len(text), text))
        c = json.loads(ctx)
        old = None
        for p in c["providers"]:
            if p["name"] == "plan": old = p["digest"]; p["digest"] = d.hex(); p["bytes"] = len(text)
        db.execute("UPDATE requests SET context = ? WHERE id = ?", (json.dumps(c), rid))
        if intent_too:
            raw = bytes(intent)
            assert raw[:8] == b"gateint2"
            raw = raw.replace(bytes.fromhex(old), d)
            db.execute("UPDATE requests SET intent = ? WHERE id = ?", (raw, rid))
        db.commit()
        """

    static func swapped(intentToo: Bool) throws -> (Sandbox, Spawned, String) {
        let (s, env) = try ContextTests.terraformSandbox()
        let (requester, id) = try ContextTests.request(s, env, ["terraform", "apply", "tfplan"])
        let r = try Spawned.run(["python3", "-c", swap, s.home + "/state.db", ForgedHistoryTests.tools,
                                 "Plan: 0 to add, 1 to change, 0 to destroy (harmless tag update)\n", intentToo ? "1" : "0"])
        #expect(r.status == 0, "\(r.stderr)")
        return (s, requester, id)
    }

    @Test func theIntentBindsTheOutputsTheApproverIsShown() throws {
        let (s, env) = try ContextTests.terraformSandbox()
        let (requester, id) = try ContextTests.request(s, env, ["terraform", "apply", "tfplan"])
        let requested = try s.ledger().first { ($0["kind"] as? String) == "requested" }?["payload"] as? [String: Any] ?? [:]
        let digests = requested["context_digests"] as? [[String: Any]] ?? []
        #expect(Set(digests.compactMap { $0["name"] as? String }) == ["plan", "summary"], "\(requested)")
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        let r = requester.finish()
        #expect(r.status == 0, "\(r.stderr)")
        // The start records the outputs too, and the independent verifier recomputes the
        // intent digest with them (gateint2).
        let bundle = s.path("ev.json")
        #expect(try s.run(["audit", "evidence", id, "--out", bundle]).status == 0)
        let v = try EvidenceTests.python(["evidence", bundle])
        #expect(v.status == 0, "\(v.stderr)")
        #expect(try s.run(["audit", "verify"]).status == 0)
    }

    @Test func aSwappedOutputIsRefusedByShowAndApprove() throws {
        let (s, requester, id) = try Self.swapped(intentToo: false)
        let show = try s.run(["show", id, "--no-pager"])
        #expect(show.status == 65 && show.stderr.contains("context output plan") && show.stderr.contains("is not the one the intent binds"), "\(show.stderr)")
        #expect(!show.stdout.contains("harmless tag update"))
        let approve = try s.run(["approve", id, "--key", s.path("bob.key")])
        #expect(approve.status == 65 && approve.stderr.contains("nothing was signed"), "\(approve.stderr)")
        #expect(!(try s.ledger().contains { ($0["kind"] as? String) == "approved" }))
        requester.signal(SIGINT)
        _ = requester.finish()
    }

    @Test func aRowEditedToBindTheSwappedOutputDiffersFromTheLedger() throws {
        let (s, requester, id) = try Self.swapped(intentToo: true)
        let show = try s.run(["show", id, "--no-pager"])
        #expect(show.status == 65 && show.stderr.contains("is not the one its requested ledger entry recorded"), "\(show.stderr)")
        let approve = try s.run(["approve", id, "--key", s.path("bob.key")])
        #expect(approve.status == 65, "\(approve.stderr)")
        requester.signal(SIGINT)
        _ = requester.finish()
    }
}
