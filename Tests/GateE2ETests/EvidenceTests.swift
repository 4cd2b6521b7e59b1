import Foundation
import Testing

/// The record: the ledger verifies, tampering is caught, and an independent implementation of
/// SPEC.md (tools/gate_verify.py) agrees with gate.
@Suite(.timeLimit(.minutes(2))) struct EvidenceTests {
    static let verifier = GeneratedFilesTests.root.appendingPathComponent("tools/gate_verify.py").path

    static func python(_ args: [String]) throws -> Sandbox.Output {
        try Spawned.run(["python3", verifier] + args)
    }

    static func sqlite(_ db: String, _ sql: String) throws {
        #expect(try Spawned.run(["sqlite3", db, sql]).status == 0, "sqlite3 \(sql)")
    }

    /// A sandbox with a few runs in its ledger and one token for `sh -c 'echo ok'`.
    static func populated() throws -> (Sandbox, token: String, bob: String) {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nallow -- true\ndefault require 1\n")
        try s.run(["--", "true"])
        let id = try s.abandonedRequest(["sh", "-c", "echo ok"])
        let a = try s.run(["approve", id, "--key", s.path("bob.key"), "--comment", "ünïcode \"quoted\"", "--print-token"])
        let token = a.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try s.run(["--token", token, "--", "sh", "-c", "echo ok"]).status == 0)
        try s.run(["--", "no-such-command-gate-test"])
        return (s, token, bob)
    }

    @Test func independentVerifierAcceptsGatesLedgerAndTokens() throws {
        let (s, token, bob) = try Self.populated()
        let log = try s.run(["log", "--json"])
        try s.write("ledger.jsonl", log.stdout)
        let ok = try Self.python(["ledger", s.path("ledger.jsonl")])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.hasPrefix("ledger ok: \(log.stdout.split(separator: "\n").count) entries"))
        // Same head as gate's own verification.
        let own = try s.run(["audit", "verify"])
        #expect(own.stdout.split(separator: "\n").first?.split(separator: " ").last == ok.stdout.split(separator: " ").last?.dropLast())
        // The token verifies under bob's key, for the digest gate recorded.
        let started = try s.ledger().first { ($0["kind"] as? String) == "started" && (($0["payload"] as? [String: Any])?["approvals"] as? [Any])?.isEmpty == false }
        let digest = (started?["payload"] as? [String: Any])?["intent_digest"] as? String ?? ""
        let t = try Self.python(["token", token, bob, digest])
        #expect(t.status == 0, "\(t.stderr)")
        // …and not under another key, nor for another digest.
        let carol = try s.keygen("carol")
        #expect(try Self.python(["token", token, carol]).stderr.contains("rejected: token is signed by key"))
        #expect(try Self.python(["token", token, bob, String(repeating: "0", count: 64)]).stderr.contains("another intent"))
    }

    @Test func independentVerifierRejectsTamperedExports() throws {
        let (s, _, _) = try Self.populated()
        let lines = try s.run(["log", "--json"]).stdout.split(separator: "\n").map(String.init)
        func reject(_ variant: [String], _ reason: String) throws {
            try s.write("t.jsonl", variant.joined(separator: "\n") + "\n")
            let r = try Self.python(["ledger", s.path("t.jsonl")])
            #expect(r.status == 1 && r.stderr.contains(reason), "\(reason): \(r.stderr)")
        }
        var edited = lines
        edited[1] = edited[1].replacingOccurrences(of: "\"exit_code\\\":0", with: "\"exit_code\\\":1")
        #expect(edited[1] != lines[1])
        try reject(edited, "does not match its hash")
        try reject(Array(lines[0..<1] + lines[2...]), "entry 2 is missing")
        var swapped = lines
        swapped.swapAt(1, 2)
        try reject(swapped, "is missing")
    }

    @Test func exportsVerifyOnTheirOwnAndCSVIsSafeToOpen() throws {
        let (s, _, _) = try Self.populated()
        try s.writePolicy("allow -- echo ...\n")
        usleep(1_100_000)
        let cut = Int(Date().timeIntervalSince1970)
        try s.run(["--reason", "=SUM(A1:A9)", "--", "echo", "=HYPERLINK(\"http://x\")", "a,b"])
        let all = try s.run(["audit", "export"])
        #expect(all.status == 0)
        try s.write("all.jsonl", all.stdout)
        let ledgerID = try s.run(["audit", "checkpoint"]).stdout.split(separator: "\n")[1].dropFirst("ledger ".count)
        let v = try Self.python(["ledger", s.path("all.jsonl")])
        #expect(v.status == 0 && v.stdout.hasPrefix("ledger ok: export of ledger \(ledgerID) (its header is not signed), \(all.stdout.split(separator: "\n").count - 1) entries"), "\(v.stderr)")
        // A window verifies as a segment, and holds only what is inside it.
        let since = try s.run(["audit", "export", "--since", String(cut)])
        #expect(since.stdout.split(separator: "\n").count == 3)  // the header, the started and finished entries of the echo
        try s.write("since.jsonl", since.stdout)
        #expect(try Self.python(["ledger", s.path("since.jsonl")]).status == 0)
        let until = try s.run(["audit", "export", "--until", String(cut)])
        #expect(until.stdout.split(separator: "\n").count == all.stdout.split(separator: "\n").count - 2)
        // Field names are the documented ones.
        let first = try JSONSerialization.jsonObject(with: Data(all.stdout.split(separator: "\n")[1].utf8)) as? [String: Any] ?? [:]
        for f in ["seq", "time", "kind", "request_id", "actor", "requester", "agent", "host", "argv", "intent_digest", "rule",
                  "approver", "key_id", "exit_code", "duration_ms", "payload_text", "prev_hash", "hash"] {
            #expect(first.keys.contains(f), "missing \(f)")
        }
        let csv = try s.run(["audit", "export", "--format", "csv", "--since", String(cut)]).stdout
        #expect(csv.hasPrefix("seq,time,time_us,kind,request_id,actor,requester,agent,host,argv,"))
        #expect(csv.contains(",\"echo '=HYPERLINK(\"\"http://x\"\")' a,b\","), "\(csv)")  // quoted, one cell
        #expect(csv.contains(",'=SUM(A1:A9),"), "\(csv)")  // a cell a spreadsheet would run is neutralised
        #expect(try s.run(["audit", "export", "--since", "last tuesday"]).status == 64)
    }

    @Test func auditVerifyNamesTheFirstDamagedEntry() throws {
        let (s, _, _) = try Self.populated()
        let db = s.path("home/state.db")
        // The triggers refuse edits through SQLite…
        #expect(try Spawned.run(["sqlite3", db, "UPDATE ledger SET actor = 'mallory' WHERE seq = 2"]).status != 0)
        #expect(try s.run(["audit", "verify"]).status == 0)
        // …but someone who can write the file can drop them. The chain still shows the edit.
        try Self.sqlite(db, "DROP TRIGGER ledger_no_update; UPDATE ledger SET actor = 'mallory' WHERE seq = 2")
        let r = try s.run(["audit", "verify"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("gate: error: ledger damaged at entry 2: entry 2 does not match its hash (edited"))
        try Self.sqlite(db, "DROP TRIGGER ledger_no_delete; DELETE FROM ledger WHERE seq = 1")
        #expect(try s.run(["audit", "verify"]).stderr.contains("entry 1 is missing"))
    }

    @Test func hostileArgvIsShownInert() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\ndefault require 1\n")
        let id = try s.abandonedRequest(["echo", "\u{1b}[2J\u{1b}[1;1Happroved by everyone", "<script>"])
        for args in [["show", id], ["list"], ["log"]] {
            let out = try s.run(args).stdout
            #expect(!out.contains("\u{1b}"), "\(args): raw escape reached the terminal")
        }
        #expect(try s.run(["show", id]).stdout.contains("$'\\x1b[2J\\x1b[1;1Happroved by everyone'"))
        // JSON keeps the exact value, escaped.
        #expect(try s.run(["show", id, "--json"]).stdout.contains("\\u001b[2J"))
        // What a signed decision carries (a denial's reason) reaches the requester's terminal
        // inert as well.
        let requester = try s.start(["--", "sh", "-c", "true"])
        let id2 = try s.waitForPending()
        #expect(try s.run(["deny", id2, "--key", s.path("bob.key"), "--reason", "no\u{1b}]0;pwned\u{7}\u{1b}[2J"]).status == 0)
        let r = requester.finish()
        #expect(r.status == 77 && !r.stderr.contains("\u{1b}") && r.stderr.contains("no\\x1b]0;pwned\\x07\\x1b[2J"), "\(r.stderr)")
    }

    @Test func noRecordOfTheStartMeansNoRun() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- touch ...\n")
        try s.run(["--", "touch", s.path("first")])
        #expect(FileManager.default.fileExists(atPath: s.path("first")))
        // Make the ledger refuse "started" entries, as a full disk or a broken database would.
        try Self.sqlite(s.path("home/state.db"),
                        "CREATE TRIGGER fail_start BEFORE INSERT ON ledger WHEN NEW.kind = 'started' BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END")
        let r = try s.run(["--", "touch", s.path("second")])
        #expect(r.status == 70, "\(r.stderr)")
        #expect(r.stderr.contains("gate: error: not running: the start could not be recorded"))
        #expect(!FileManager.default.fileExists(atPath: s.path("second")), "the command ran without a record of its start")
        #expect(try s.run(["audit", "verify"]).status == 0)
    }

    @Test func manyProcessesStartingOnANewStateDirectory() throws {
        // Several gate processes meeting a state directory that does not exist yet must agree on
        // one schema; before the fix, one of them failed with "database is locked".
        let s = try Sandbox()
        try s.writePolicy("allow -- true\n")
        for round in 0..<8 {
            let home = ["GATE_HOME": s.path("home-\(round)")]
            let started = try (0..<2).flatMap { _ in [try s.start(["--", "true"], env: home), try s.start(["list", "--json"], env: home)] }
            for p in started {
                let r = p.finish()
                #expect(r.status == 0, "round \(round): \(r.stderr)")
            }
            #expect(try s.run(["audit", "verify"], env: home).stdout.hasPrefix("ledger ok: 4 entries"))
        }
    }

    @Test func damagedStateDatabaseIsAClearError() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- true\n")
        try FileManager.default.createDirectory(atPath: s.home, withIntermediateDirectories: true)
        try s.write("home/state.db", String(repeating: "not a database ", count: 400))
        let r = try s.run(["--", "true"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("gate: error: state database") && r.stderr.contains("is damaged or not a gate database"))
        #expect(!r.stderr.contains("Fatal error"))
    }
}
