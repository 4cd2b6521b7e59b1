import Foundation
import Testing

/// SPEC.md as an outside auditor reads it (issue 20): each case that made a verifier written from
/// SPEC alone disagree with gate, checked with tools/gate_verify.py.
@Suite(.timeLimit(.minutes(2))) struct AuditorTests {
    static func python(_ args: [String]) throws -> Sandbox.Output { try EvidenceTests.python(args) }

    static func lines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func jsonl(_ objects: [[String: Any]]) throws -> String {
        try objects.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
            .joined(separator: "\n") + "\n"
    }

    /// Finding 1: a token replayed against another argv is refused under the replaying
    /// invocation's own id, so the run's evidence holds nothing another invocation did and
    /// verifies by SPEC §8 step 4 read literally.
    @Test func aReplayedTokenNeverSpoilsTheRunsEvidence() throws {
        let (s, token, _) = try EvidenceTests.populated()
        let run = try s.ledger().first { ($0["kind"] as? String) == "started" && (($0["payload"] as? [String: Any])?["approvals"] as? [Any])?.isEmpty == false }?["request_id"] as? String ?? ""
        let replay = try s.run(["--token", token, "--", "sh", "-c", "echo other"])
        #expect(replay.status == 77, "\(replay)")
        let refused = try s.ledger().last { ($0["kind"] as? String) == "refused" }
        #expect(refused?["request_id"] as? String != run && (refused?["payload_text"] as? String ?? "").contains("intent-mismatch"), "\(String(describing: refused))")
        let bundle = try EvidenceBundleTests.bundle(s, run)
        let own = (bundle["entries"] as? [[String: Any]] ?? []).filter { $0["request_id"] as? String == run }
        #expect(!own.contains { ($0["kind"] as? String) == "refused" })
        let v = try Self.python(["evidence", s.path("ev.json")])
        #expect(v.status == 0, "\(v.stderr)")
    }

    /// Finding 2: the intent digest covers the bound files and variables, so step 4 recomputes it
    /// with them; a run with a bound file and a bound variable verifies.
    @Test func evidenceOfARunWithBoundFilesAndVariablesVerifies() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.write("plan.txt", "17 to destroy\n")
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 bind={1} bind-env=TF_WORKSPACE -- cat *\n")
        let id = try s.abandonedRequest(["cat", s.path("plan.txt")], env: ["TF_WORKSPACE": "prod"])
        let token = try s.run(["approve", id, "--key", s.path("bob.key"), "--print-token"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let ran = try s.run(["--token", token, "--", "cat", s.path("plan.txt")], env: ["TF_WORKSPACE": "prod"])
        #expect(ran.status == 0 && ran.stdout == "17 to destroy\n", "\(ran)")
        let start = try s.ledger().last { ($0["kind"] as? String) == "started" }?["payload"] as? [String: Any] ?? [:]
        #expect((start["bound_files"] as? [[String: Any]])?.contains { $0["path"] as? String == s.path("plan.txt") } == true && (start["bound_env"] as? [[String: Any]])?.contains { $0["name"] as? String == "TF_WORKSPACE" } == true, "\(start)")
        _ = try EvidenceBundleTests.bundle(s, id.replacingOccurrences(of: "-", with: ""))
        let v = try Self.python(["evidence", s.path("ev.json")])
        #expect(v.status == 0 && v.stdout.contains("approved by bob"), "\(v.stderr)")
    }

    /// Finding 3: only a run has evidence. A denied, a withdrawn, an expired, a refused and a
    /// still pending request are refused at once, in one line saying what became of it (issue 15
    /// item 18), and no file is written, nor anything on standard output with `--out -`.
    @Test func evidenceIsRefusedForWhatNeverRan() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\ndeny -- false\nrequire 1 ttl=2s -- printf ...\ndefault require 1\n")
        let denied = try s.abandonedRequest(["echo", "denied"])
        #expect(try s.run(["deny", denied, "--key", s.path("bob.key"), "--reason", "no"]).status == 0)
        let waiting = try s.start(["--", "echo", "withdrawn"])
        let cancelled = try s.waitForPending()
        waiting.signal(SIGINT)
        #expect(waiting.finish().status == 75)
        #expect(try s.run(["--", "false"]).status == 77)
        let refused = try s.ledger().last?["request_id"] as? String ?? ""
        let expiring = try s.run(["--", "printf", "expired"])
        let expired = String(expiring.stderr.firstMatch(of: #/request ([0-9A-Z]{4}-[0-9A-Z]{4})/#)?.output.1 ?? "")
        #expect(expiring.status == 75 && expiring.stderr.contains("expired"), "\(expiring)")
        let pending = try s.abandonedRequest(["echo", "pending"])
        for (id, state) in [(denied, "was denied"), (cancelled, "was cancelled"), (refused, "was refused"), (expired, "was expired"),
                            (pending, "is still pending")] {
            let shown = Sandbox.displayed(id)
            for out in [s.path("ev-\(id).json"), "-"] {
                let r = try s.run(["audit", "evidence", id, "--out", out])
                #expect(r.status == 64 && r.stderr == "gate: error: request \(shown) \(state); it never ran\n" && r.stdout.isEmpty, "\(id): \(r)")
            }
            #expect(!FileManager.default.fileExists(atPath: s.path("ev-\(id).json")))
        }
    }

    /// Finding 4: `time`, `payload` and the export's columns are outside every hash; the
    /// verifier checks each against the hashed fields, and refuses fields it does not know.
    @Test func fieldsOutsideTheHashAreCheckedNotTrusted() throws {
        let (s, _, _) = try EvidenceTests.populated()
        let log = Self.lines(try s.run(["log", "--json"]).stdout)
        let startIndex = log.firstIndex { ($0["kind"] as? String) == "started" } ?? 0
        func reject(_ objects: [[String: Any]], _ reason: String) throws {
            try s.write("t.jsonl", try Self.jsonl(objects))
            let r = try Self.python(["ledger", s.path("t.jsonl")])
            #expect(r.status == 1 && r.stderr.contains(reason), "\(reason): \(r.stderr)")
        }
        try s.write("ok.jsonl", try Self.jsonl(log))
        #expect(try Self.python(["ledger", s.path("ok.jsonl")]).status == 0)
        var shown = log
        var payload = shown[startIndex]["payload"] as? [String: Any] ?? [:]
        payload["argv"] = ["true", "--harmless"]
        shown[startIndex]["payload"] = payload
        try reject(shown, "'payload' is not its payload_text")
        var late = log
        late[startIndex]["time"] = "1999-01-01T00:00:00Z"
        try reject(late, "'time' is not its time_us")
        var extra = log
        extra[startIndex]["approved_by"] = "alice"
        try reject(extra, "no hash covers")
        // The export's derived columns.
        let export = Self.lines(try s.run(["audit", "export"]).stdout)
        var column = export
        let row = column.firstIndex { ($0["kind"] as? String) == "started" } ?? 1
        column[row]["argv"] = ["rm", "-rf", "/"]
        try reject(column, "the export column 'argv'")
        var approver = export
        approver[row]["approver"] = "alice"
        try reject(approver, "the export column 'approver'")
        // And an evidence entry's parsed payload.
        let run = log[startIndex]["request_id"] as? String ?? ""
        var bundle = try EvidenceBundleTests.bundle(s, run)
        var entries = bundle["entries"] as? [[String: Any]] ?? []
        let e = entries.firstIndex { ($0["kind"] as? String) == "started" } ?? 0
        var p = entries[e]["payload"] as? [String: Any] ?? [:]
        p["argv"] = ["false"]
        entries[e]["payload"] = p
        bundle["entries"] = entries
        let r = try EvidenceBundleTests.verify(s, bundle)
        #expect(r.status == 1 && r.stderr.contains("'payload' is not its payload_text"), "\(r.stderr)")
    }

    /// Finding 5: the export's header names the ledger and the entries that follow; a cut export
    /// is told from a window; a run without approvals has "" as its approver, other kinds null.
    @Test func anExportSaysWhatItHolds() throws {
        let (s, _, _) = try EvidenceTests.populated()
        let export = Self.lines(try s.run(["audit", "export"]).stdout)
        let header = export[0]
        let checkpoint = try s.run(["audit", "checkpoint"]).stdout
        #expect(header["format"] as? String == "gate-export-v1")
        #expect(checkpoint.contains("ledger \(header["ledger_id"] as? String ?? "?")\n"), "\(header)")
        #expect(header["first_seq"] as? Int == 1 && header["entries"] as? Int == export.count - 1 && header["since_us"] is NSNull)
        func verdict(_ objects: [[String: Any]]) throws -> Sandbox.Output {
            try s.write("x.jsonl", try Self.jsonl(objects))
            return try Self.python(["ledger", s.path("x.jsonl")])
        }
        #expect(try verdict(export).status == 0)
        let headFirstCut = [header] + export.dropFirst(2)
        #expect(try verdict(headFirstCut).stderr.contains("lines were cut or added"))
        #expect(try verdict(Array(export.dropLast())).stderr.contains("lines were cut or added"))
        // Without its header the lines are only a segment, and say so by not naming a ledger.
        let bare = try verdict(Array(export.dropFirst()))
        #expect(bare.status == 0 && !bare.stdout.contains("export of ledger"), "\(bare)")
        let allowed = export.first { ($0["kind"] as? String) == "started" && ($0["rule"] as? String)?.hasPrefix("line") == true }
        #expect(allowed?["approver"] as? String == "" && allowed?["key_id"] as? String == "", "\(String(describing: allowed))")
        let refused = export.first { ($0["kind"] as? String) == "refused" }
        #expect(refused?["approver"] is NSNull, "\(String(describing: refused))")
    }

    /// Finding 6: one form of a request id in every machine-readable output.
    @Test func machineReadableRequestIDsAreCompact() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\ndefault require 1\n")
        let shown = try s.abandonedRequest(["echo", "x"])
        let compact = shown.replacingOccurrences(of: "-", with: "")
        // Abandoned (its requester killed): listed by --all, not by the approvers' default view.
        let list = try JSONSerialization.jsonObject(with: Data(try s.run(["list", "--all", "--json"]).stdout.utf8)) as? [[String: Any]] ?? []
        #expect(list.first?["id"] as? String == compact, "\(list)")
        let one = try JSONSerialization.jsonObject(with: Data(try s.run(["show", shown, "--json"]).stdout.utf8)) as? [String: Any] ?? [:]
        #expect(one["id"] as? String == compact, "\(one)")
        #expect(try s.ledger().allSatisfy { ($0["request_id"] as? String)?.contains("-") == false })
    }

    /// The attack round on the above: JSON with a key twice, or a value of another type, is
    /// refused (readers disagree on it); a file that starts after entry 1 is called a segment;
    /// a checkpoint of the empty ledger verifies a genuine export.
    @Test func whatAVerifierReadsIsWhatTheChainSays() throws {
        let (s, _, _) = try EvidenceTests.populated()
        let text = try s.run(["audit", "export"]).stdout
        var lines = text.split(separator: "\n").map(String.init)
        let row = lines.firstIndex { $0.contains("\"kind\":\"started\"") } ?? 1
        func verdict(_ l: [String], _ args: [String] = []) throws -> Sandbox.Output {
            try s.write("d.jsonl", l.joined(separator: "\n") + "\n")
            return try Self.python(["ledger", s.path("d.jsonl")] + args)
        }
        let original = lines[row]
        lines[row] = "{\"argv\":[\"rm\",\"-rf\",\"/\"]," + original.dropFirst()
        #expect(try verdict(lines).stderr.contains("the key 'argv' twice"))
        lines[row] = original
        let finished = lines.firstIndex { $0.contains("\"kind\":\"finished\"") } ?? 1
        let exit0 = lines[finished]
        lines[finished] = exit0.replacingOccurrences(of: "\"exit_code\":0,", with: "\"exit_code\":false,")
        #expect(lines[finished] != exit0)
        #expect(try verdict(lines).stderr.contains("export column 'exit_code'"))
        lines[finished] = exit0
        // Header and entries 1-2 cut: a segment, and said to be one.
        let cut = try verdict(Array(lines.dropFirst(3)))
        #expect(cut.status == 0 && cut.stdout.contains("segment of") && cut.stderr.contains("not in this file"), "\(cut)")
    }

    @Test func aCheckpointOfTheEmptyLedgerVerifiesAGenuineExport() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- true\n")
        let empty = try s.run(["audit", "checkpoint"]).stdout
        #expect(empty.contains("\nsize 0\n"), "\(empty)")
        try s.run(["--", "true"])
        try s.write("cp0.txt", empty)
        try s.write("e.jsonl", try s.run(["audit", "export"]).stdout)
        let key = try s.run(["audit", "key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let v = try Self.python(["ledger", s.path("e.jsonl"), s.path("cp0.txt"), key])
        #expect(v.status == 0, "\(v)")
    }

    /// A renamed approver: the bundle names each key as the run's entries recorded it, so gate
    /// never writes evidence its verifier rejects. Without a pinned ledger key the verifier says
    /// the bundle proves nothing about who signed it; an approved run's bundle must begin with
    /// its request.
    @Test func evidenceAgreesWithItsOwnEntriesAndSaysWhatIsPinned() throws {
        let (s, _, bob) = try EvidenceTests.populated()
        let run = try s.ledger().first { ($0["kind"] as? String) == "started" && (($0["payload"] as? [String: Any])?["approvals"] as? [Any])?.isEmpty == false }?["request_id"] as? String ?? ""
        try s.writePolicy("approver robert user=bob key=\(bob)\nallow -- true\ndefault require 1\n")
        var bundle = try EvidenceBundleTests.bundle(s, run)
        let loose = try Self.python(["evidence", s.path("ev.json")])
        #expect(loose.status == 0 && loose.stdout.contains("approved by bob") && loose.stderr.contains("no ledger key pinned"), "\(loose)")
        // Unpinned, it never says "ok" (issue 15 item 19): the first words say what it proves.
        #expect(loose.stdout.hasPrefix("signatures consistent, but no ledger key pinned: this proves nothing about who signed")
                && !loose.stdout.contains("evidence ok"), "\(loose)")
        let key = try s.run(["audit", "key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pinned = try Self.python(["evidence", s.path("ev.json"), key])
        #expect(pinned.status == 0 && !pinned.stderr.contains("no ledger key pinned"), "\(pinned)")
        #expect(pinned.stdout.hasPrefix("evidence ok: run ") && !pinned.stdout.contains("pinned"), "\(pinned)")
        // Dropping the entries before the start (the request and its approval) is refused.
        var entries = bundle["entries"] as? [[String: Any]] ?? []
        let start = entries.firstIndex { ($0["kind"] as? String) == "started" && ($0["request_id"] as? String) == run } ?? 0
        entries.removeFirst(start)
        bundle["entries"] = entries
        let r = try EvidenceBundleTests.verify(s, bundle)
        #expect(r.status == 1 && r.stderr.contains("request (the `requested` entry) is not the bundle's first entry"), "\(r)")
    }
}
