import Foundation
import Testing

/// The tamper matrix (issue 6): someone who can write the state database edits it with sqlite3
/// (dropping the triggers first); `gate audit verify` and the independent verifier each name the
/// damage. Checkpoints are what catch a removed tail and a history rewritten without the key.
@Suite(.timeLimit(.minutes(2))) struct CheckpointTests {
    /// Rewrites the whole chain after changing entry 2's actor, as someone without the ledger key
    /// would (the hashes are public; only checkpoints are signed).
    static let rechain = """
        import hashlib, sqlite3, struct, sys
        db = sqlite3.connect(sys.argv[1]); db.execute("DROP TRIGGER ledger_no_update")
        prev = bytes(32)
        s = lambda x: struct.pack(">I", len(x.encode())) + x.encode()
        for seq, t, k, r, a, p in db.execute("SELECT seq, time_us, kind, request_id, actor, payload FROM ledger ORDER BY seq").fetchall():
            if seq == 2: a = "mallory"
            h = hashlib.blake2b(b"gateled1" + struct.pack(">QQ", seq, t) + s(k) + s(r) + s(a) + s(p) + prev, digest_size=32).digest()
            db.execute("UPDATE ledger SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?", (a, prev, h, seq)); prev = h
        db.commit()
        """

    /// Replaces the newest checkpoint with one for the same head signed by a key of the attacker's.
    static let resign = """
        import sqlite3, sys
        sys.path.insert(0, sys.argv[2]); import gate_verify as g
        db = sqlite3.connect(sys.argv[1]); db.execute("DROP TRIGGER checkpoints_no_update")
        size, text = db.execute("SELECT size, text FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        c = g.parse_checkpoint(text)
        forged = g.sign_checkpoint(bytes(range(32)), c["ledger"], c["size"], c["head"], c["time_us"])
        db.execute("UPDATE checkpoints SET text = ? WHERE size = ?", (forged, size)); db.commit()
        """

    struct Tamper: Sendable, CustomStringConvertible {
        var name: String
        var sql: String?
        var script: String?
        var gateSays: String
        var pythonSays: String?
        var description: String { name }
    }

    static let matrix: [Tamper] = [
        Tamper(name: "edited payload", sql: "DROP TRIGGER ledger_no_update; UPDATE ledger SET payload = replace(payload, '\"exit_code\":0', '\"exit_code\":1') WHERE seq = 2",
               gateSays: "ledger damaged at entry 2: entry 2 does not match its hash (edited", pythonSays: "entry 2 does not match its hash"),
        Tamper(name: "deleted middle entry", sql: "DROP TRIGGER ledger_no_delete; DELETE FROM ledger WHERE seq = 3",
               gateSays: "ledger damaged at entry 3: entry 3 is missing (next entry is 4)", pythonSays: "entry 3 is missing"),
        Tamper(name: "deleted tail", sql: "DROP TRIGGER ledger_no_delete; DELETE FROM ledger WHERE seq > (SELECT max(seq) - 2 FROM ledger)",
               gateSays: "were removed", pythonSays: "entries were removed"),
        Tamper(name: "swapped rows", sql: """
            DROP TRIGGER ledger_no_update;
            UPDATE ledger SET seq = -2 WHERE seq = 2; UPDATE ledger SET seq = 2 WHERE seq = 3; UPDATE ledger SET seq = 3 WHERE seq = -2
            """, gateSays: "ledger damaged at entry 2: entry 2 does not match its hash (edited, or moved", pythonSays: "entry 2 does not match its hash"),
        Tamper(name: "chain recomputed without the ledger key", script: rechain,
               gateSays: "do not hash to the head signed in the checkpoint", pythonSays: "history rewritten"),
        Tamper(name: "newest checkpoint re-signed by another key", script: resign,
               gateSays: "is not genuine: it is signed by key 9D24E2EEAF27C2A0, not the ledger key", pythonSays: nil),
        Tamper(name: "newest checkpoint edited", sql: """
            DROP TRIGGER checkpoints_no_update;
            UPDATE checkpoints SET text = replace(text, 'time 1', 'time 2') WHERE size = (SELECT max(size) FROM checkpoints)
            """, gateSays: "is not genuine: its signature does not verify", pythonSays: nil),
    ]

    @Test("each tampering is named by gate and by the independent verifier", arguments: matrix)
    func tamperMatrix(_ t: Tamper) throws {
        let (s, _, _) = try EvidenceTests.populated()
        let db = s.path("home/state.db")
        // The checkpoint gate signed by itself after the last run (not one asked for here): an
        // auditor's copy of it.
        let newest = try Spawned.run(["sqlite3", db, "SELECT text FROM checkpoints ORDER BY size DESC LIMIT 1"])
        #expect(newest.stdout.hasPrefix("gate checkpoint v1\n"))
        try s.write("kept.checkpoint", String(newest.stdout.dropLast()))  // sqlite3 adds a newline
        let key = try s.run(["audit", "key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try s.run(["audit", "verify", "--key", key, "--all-signatures"]).status == 0)

        if let sql = t.sql { try EvidenceTests.sqlite(db, sql) }
        if let script = t.script {
            try s.write("tamper.py", script)
            let r = try Spawned.run(["python3", s.path("tamper.py"), db, GeneratedFilesTests.root.appendingPathComponent("tools").path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let r = try s.run(["audit", "verify"])
        #expect(r.status == 65 && r.stderr.contains(t.gateSays), "\(t.name): \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))

        // The independent verifier, on an export of the tampered ledger and the kept checkpoint.
        guard let pythonSays = t.pythonSays else { return }
        try s.write("tampered.jsonl", try s.run(["log", "--json"]).stdout)
        let p = try EvidenceTests.python(["ledger", s.path("tampered.jsonl"), s.path("kept.checkpoint"), key])
        #expect(p.status == 1 && p.stderr.contains(pythonSays), "\(t.name): \(p.stderr)")
    }

    @Test func untamperedLedgerVerifiesWithItsCheckpointsHereAndInPython() throws {
        let (s, _, _) = try EvidenceTests.populated()
        let v = try s.run(["audit", "verify", "--all-signatures"])
        #expect(v.status == 0, "\(v.stderr)")
        // Every run and every refusal is sealed as it happens: nothing is left uncovered.
        #expect(v.stdout.contains("match the chain") && !v.stdout.contains("not yet covered"), "\(v.stdout)")
        try s.write("kept.checkpoint", try s.run(["audit", "checkpoint"]).stdout)
        let key = try s.run(["audit", "key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try s.write("ledger.jsonl", try s.run(["audit", "export"]).stdout)
        let p = try EvidenceTests.python(["ledger", s.path("ledger.jsonl"), s.path("kept.checkpoint"), key])
        #expect(p.status == 0 && p.stdout.contains("checkpoint of ledger"), "\(p.stderr)")
        #expect(try EvidenceTests.python(["checkpoint", s.path("kept.checkpoint"), key]).status == 0)
        // The key file is the owner's alone.
        let mode = try FileManager.default.attributesOfItem(atPath: s.path("home/ledger.key"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// Whoever can write the database and the key file can rewrite everything, checkpoints
    /// included, under a new key. What catches that is a copy kept elsewhere: the pinned key, or
    /// a checkpoint saved earlier.
    @Test func aFullRewriteUnderANewKeyIsCaughtByWhatWasKeptElsewhere() throws {
        let (s, _, _) = try EvidenceTests.populated()
        try s.write("kept.checkpoint", try s.run(["audit", "checkpoint"]).stdout)
        let key = try s.run(["audit", "key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let db = s.path("home/state.db")
        try s.write("rechain.py", Self.rechain)
        #expect(try Spawned.run(["python3", s.path("rechain.py"), db]).status == 0)
        try EvidenceTests.sqlite(db, """
            DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints;
            DROP TRIGGER meta_no_delete; DELETE FROM meta WHERE name = 'ledger_key';
            """)
        try FileManager.default.removeItem(atPath: s.path("home/ledger.key"))
        try FileManager.default.removeItem(atPath: s.path("home/ledger.head"))
        // The next checkpoint makes a new key: the ledger looks whole on its own…
        #expect(try s.run(["audit", "checkpoint"]).status == 0)
        #expect(try s.run(["audit", "verify"]).status == 0)
        // …but not against the key the auditor recorded, nor against the checkpoint they kept.
        let pinned = try s.run(["audit", "verify", "--key", key])
        #expect(pinned.status == 65 && pinned.stderr.contains("the ledger was re-keyed"), "\(pinned.stderr)")
        let kept = try s.run(["audit", "verify", "--checkpoint", s.path("kept.checkpoint")])
        #expect(kept.status == 65 && kept.stderr.contains("is not genuine: it is signed by key"), "\(kept.stderr)")
    }

    @Test func badCheckpointFilesAndKeysAreClearErrors() throws {
        let (s, _, _) = try EvidenceTests.populated()
        try s.write("junk.checkpoint", "gate checkpoint v1\nledger nope\n")
        let junk = try s.run(["audit", "verify", "--checkpoint", s.path("junk.checkpoint")])
        #expect(junk.status == 65 && junk.stderr.contains("is not a gate checkpoint: a checkpoint is six lines"), "\(junk.stderr)")
        let missing = try s.run(["audit", "verify", "--checkpoint", s.path("nope")])
        #expect(missing.status == 64 && missing.stderr.contains("cannot read checkpoint"), "\(missing.stderr)")
        let badKey = try s.run(["audit", "verify", "--key", "ssh-ed25519 AAAA"])
        #expect(badKey.status == 64 && badKey.stderr.contains("--key is not a gate public key"), "\(badKey.stderr)")
        // A ledger key with loose permissions is not used, and the run still happens.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: s.path("home/ledger.key"))
        let run = try s.run(["--", "true"])
        #expect(run.status == 0 && run.stderr.contains("gate: warning: no checkpoint signed: secret key"), "\(run.stderr)")
        // …and verification fails until the key can sign again (it used to pass, with a tail
        // no checkpoint would ever cover).
        let verify = try s.run(["audit", "verify"])
        #expect(verify.status == 65 && verify.stderr.contains("the ledger key cannot sign"), "\(verify)")
    }
}

/// Evidence bundles: one file proves one run, checked by the independent verifier only.
@Suite(.timeLimit(.minutes(2))) struct EvidenceBundleTests {
    static func bundle(_ s: Sandbox, _ run: String, _ name: String = "ev.json") throws -> [String: Any] {
        let r = try s.run(["audit", "evidence", run, "--out", s.path(name)])
        #expect(r.status == 0, "\(r.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: s.path(name)))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static func verify(_ s: Sandbox, _ object: [String: Any]) throws -> Sandbox.Output {
        let data = try JSONSerialization.data(withJSONObject: object)
        try s.write("check.json", String(decoding: data, as: UTF8.self))
        return try EvidenceTests.python(["evidence", s.path("check.json")])
    }

    @Test func eachKindOfRunHasEvidenceThatVerifiesWithoutGate() throws {
        let (s, _, _) = try EvidenceTests.populated()
        // The runs in the populated ledger: an allowed `true`, an approved `sh -c 'echo ok'` via a
        // pre-issued token, and a refusal.
        let runs = try s.ledger().filter { ($0["kind"] as? String) == "started" }.compactMap { $0["request_id"] as? String }
        #expect(runs.count == 2)
        let key = try s.run(["audit", "key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for (i, run) in runs.enumerated() {
            let b = try Self.bundle(s, run, "ev\(i).json")
            let v = try EvidenceTests.python(["evidence", s.path("ev\(i).json"), key])
            #expect(v.status == 0, "\(v.stderr)")
            #expect(v.stdout.contains("evidence ok: run \(run):") && v.stdout.contains("exit 0"), "\(v.stdout)")
            #expect((b["policy"] as? String)?.contains("approver bob") == true)
        }
        #expect(try EvidenceTests.python(["evidence", s.path("ev1.json")]).stdout.contains("(approved by bob)"))
        // Evidence is never overwritten; unknown runs and bad ids are clear errors.
        let again = try s.run(["audit", "evidence", runs[0], "--out", s.path("ev0.json")])
        #expect(again.status == 64 && again.stderr.contains("evidence is never overwritten"), "\(again.stderr)")
        #expect(try s.run(["audit", "evidence", "ZZZZZZZZ", "--out", s.path("x.json")]).stderr.contains("no ledger entries for run"))
        #expect(try s.run(["audit", "evidence", "not-an-id!", "--out", s.path("x.json")]).status == 64)
    }

    @Test func aRequestApprovedWhileWaitingHasEvidenceIncludingTheApproval() throws {
        let (s, _) = try Sandbox.withApprover()
        let (requester, id) = try s.pendingRequest(["sh", "-c", "exit 3"])
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        #expect(requester.finish().status == 3)
        _ = try Self.bundle(s, id)
        let v = try EvidenceTests.python(["evidence", s.path("ev.json")])
        #expect(v.status == 0 && v.stdout.contains("(approved by bob), exit 3"), "\(v.stderr)\(v.stdout)")
    }

    @Test func tamperedBundlesAreRejected() throws {
        let (s, _, _) = try EvidenceTests.populated()
        let run = try s.ledger().last { ($0["kind"] as? String) == "started" }?["request_id"] as? String ?? ""
        let good = try Self.bundle(s, run)
        #expect(try Self.verify(s, good).status == 0)
        let entries = good["entries"] as? [[String: Any]] ?? []
        let startIndex = entries.firstIndex { ($0["kind"] as? String) == "started" } ?? 0

        func reject(_ b: [String: Any], _ reason: String) throws {
            let r = try Self.verify(s, b)
            #expect(r.status == 1 && r.stderr.contains(reason), "\(reason): \(r.stderr)")
        }
        // An edited exit status.
        var b = good
        var edited = entries
        let finished = edited.firstIndex { ($0["kind"] as? String) == "finished" } ?? 0
        edited[finished]["payload_text"] = (edited[finished]["payload_text"] as? String ?? "").replacingOccurrences(of: "\"exit_code\":0", with: "\"exit_code\":1")
        b["entries"] = edited
        try reject(b, "does not match its hash")
        // A dropped entry.
        b = good
        b["entries"] = Array(entries.dropLast())
        try reject(b, "does not end at the head the checkpoint signed")
        // Another argv with the intent digest left as it was (the fields no longer hash to it).
        b = good
        edited = entries
        edited[startIndex]["payload_text"] = (edited[startIndex]["payload_text"] as? String ?? "").replacingOccurrences(of: "echo ok", with: "echo pwned")
        b["entries"] = edited
        try reject(b, "does not match its hash")
        // The approver's key swapped for the attacker's.
        b = good
        let mallory = try s.keygen("mallory")
        b["approver_keys"] = [["name": "bob", "key": mallory]]
        try reject(b, "which the run's policy does not name")
        // The bundle's own list is never where the keys come from: without the policy, an
        // approved run does not verify.
        b = good
        b["policy"] = nil
        try reject(b, "does not include the policy it was decided under")
        // A policy that names the attacker's key as bob is not the one the start names.
        b = good
        b["policy"] = (good["policy"] as? String ?? "").replacingOccurrences(of: "approver bob", with: "approver bob key=\(mallory)")
        try reject(b, "not the one the run was decided under")
        // A checkpoint from another key, or edited.
        b = good
        b["checkpoint"] = (good["checkpoint"] as? String ?? "").replacingOccurrences(of: "time 1", with: "time 2")
        try reject(b, "checkpoint signature does not verify")
        b = good
        b["ledger_key"] = mallory
        try reject(b, "checkpoint is signed by key")
        // Another policy text than the one the run was decided under.
        b = good
        b["policy"] = "version 1\nallow -- sh ...\n"
        try reject(b, "not the one the run was decided under")
        // A bundle whose ledger key is not the one the auditor pinned.
        #expect(try EvidenceTests.python(["evidence", s.path("ev.json"), mallory]).stderr.contains("not the pinned ledger key"))
        let key = try s.run(["audit", "key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try EvidenceTests.python(["evidence", s.path("ev.json"), key]).status == 0)
    }
}
