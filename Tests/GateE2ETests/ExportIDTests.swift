import Foundation
import Testing

/// Issue 15 item 17: the export shows a request id in one form, the one gate prints everywhere
/// else (`7K3F-Q2XZ`), in every row of both formats, with the request's ticket in a column; the
/// JSONL export still verifies on its own (the chain hashes the compact form).
@Suite(.timeLimit(.minutes(2))) struct ExportIDTests {
    /// A run with a ticket, approved and finished; a refusal; an allowed run.
    static func ledger() throws -> (Sandbox, shown: String) {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nallow -- true\ndeny -- false\nrequire 1 ticket -- echo ...\n")
        let requester = try s.start(["--ticket", "OPS-4711", "--reason", "export test", "--", "echo", "ticketed"])
        let shown = try s.waitForPending()
        #expect(try s.run(["approve", shown, "--key", s.path("bob.key")]).status == 0)
        #expect(requester.finish().status == 0)
        #expect(try s.run(["--", "false"]).status == 77)
        #expect(try s.run(["--", "true"]).status == 0)
        return (s, shown)
    }

    @Test func everyRowShowsTheDashedIdAndTheTicket() throws {
        let (s, shown) = try Self.ledger()
        let compact = shown.replacingOccurrences(of: "-", with: "")
        let ids = try s.ledger().compactMap { $0["request_id"] as? String }
        let own = ids.filter { $0 == compact }.count
        #expect(own == 4, "requested, approved, started, finished: \(ids)")  // the fixture's own rows

        // JSONL: every request id is the displayed form; the ticket is a column.
        let jsonl = try s.run(["audit", "export"]).stdout
        let rows = jsonl.split(separator: "\n").dropFirst().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rows.count == ids.count)
        for (row, id) in zip(rows, ids) {
            #expect(row["request_id"] as? String == (id.isEmpty ? "" : Sandbox.displayed(id)), "\(row)")
            #expect(row.keys.contains("ticket"), "\(row)")
        }
        #expect(rows.filter { $0["request_id"] as? String == shown }.count == own)
        let requested = rows.first { $0["kind"] as? String == "requested" && $0["request_id"] as? String == shown }
        #expect(requested?["ticket"] as? String == "OPS-4711", "\(String(describing: requested))")
        #expect(rows.first { $0["kind"] as? String == "finished" }?["ticket"] is NSNull)
        #expect(jsonl.split(separator: "\n").filter { $0.contains(shown) }.count == own)

        // CSV: grepping for the id gate printed finds every row of the request, and the compact
        // form is in no request_id cell.
        let csv = try s.run(["audit", "export", "--format", "csv"]).stdout
        #expect(csv.hasPrefix("seq,time,time_us,kind,request_id,actor,requester,agent,host,argv,intent_digest,rule,reason,ticket,approver,"), "\(csv.prefix(200))")
        #expect(csv.split(separator: "\r\n").filter { $0.contains(shown) }.count == own, "\(csv)")
        #expect(csv.contains(",OPS-4711,"))
        for id in Set(ids) where !id.isEmpty {
            #expect(!csv.contains(",\(id),"), "\(id) in its compact form")
            #expect(csv.contains(",\(Sandbox.displayed(id)),"))
        }
    }

    /// The JSONL export verifies on its own, whole, as a window, and against a checkpoint; a
    /// shown id changed to another request's is caught (it is hashed, without its dash).
    @Test func theDashedExportStillVerifies() throws {
        let (s, shown) = try Self.ledger()
        let export = try s.run(["audit", "export"]).stdout
        try s.write("e.jsonl", export)
        let whole = try EvidenceTests.python(["ledger", s.path("e.jsonl")])
        #expect(whole.status == 0 && whole.stdout.hasPrefix("ledger ok: export of ledger"), "\(whole)")
        let checkpoint = try s.run(["audit", "checkpoint"]).stdout
        try s.write("cp.txt", checkpoint)
        let key = try s.run(["audit", "key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try EvidenceTests.python(["ledger", s.path("e.jsonl"), s.path("cp.txt"), key]).status == 0)
        // A window: only the last entries, a segment.
        let since = try s.ledger().last { $0["kind"] as? String == "refused" }?["time_us"] as? Int ?? 0
        try s.write("w.jsonl", try s.run(["audit", "export", "--since", String(since / 1_000_000)]).stdout)
        #expect(try EvidenceTests.python(["ledger", s.path("w.jsonl")]).status == 0)
        // Another id in the shown column: the hash no longer matches.
        let other = shown.prefix(4) == "0000" ? "1111-1111" : "0000-0000"
        try s.write("x.jsonl", export.replacingOccurrences(of: "\"request_id\":\"\(shown)\"", with: "\"request_id\":\"\(other)\""))
        let forged = try EvidenceTests.python(["ledger", s.path("x.jsonl")])
        #expect(forged.status == 1 && forged.stderr.contains("does not match its hash"), "\(forged)")
    }
}
