import Foundation
import Testing

/// Issue 19: end-to-end tests that fail under one weakening each (scripts/mutate.sh).
@Suite(.timeLimit(.minutes(2))) struct MutationE2ETests {
    /// Kills "KEY removed from the secret-name words", end to end: kept variables whose names
    /// say KEY never appear in clear in show, the ledger, an export or the database.
    @Test func keyVariablesAreRedactedEndToEnd() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nenv API_KEY STRIPE_API_KEY SSH_KEY\nrequire 1 -- sh ...\n")
        let secrets = ["API_KEY": "sk-live-aaaa1111", "STRIPE_API_KEY": "sk_live_bbbb2222", "SSH_KEY": "ssh-ed25519-cccc3333"]
        let r = try s.start(["--", "sh", "-c", "echo ran"], env: secrets)
        let id = try s.waitForPending()
        let show = try s.run(["show", id, "--no-pager"]).stdout
        for name in secrets.keys { #expect(show.contains("\(name)=(redacted) redacted:"), "\(name): \(show)") }
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        #expect(r.finish().status == 0)
        var seen = [show, try s.run(["show", id, "--json"]).stdout, try s.run(["log", "--json"]).stdout, try s.run(["audit", "export"]).stdout]
        for name in ["state.db", "state.db-wal"] where FileManager.default.fileExists(atPath: s.path("home/\(name)")) {
            seen.append(String(decoding: try Data(contentsOf: URL(fileURLWithPath: s.path("home/\(name)"))), as: UTF8.self))
        }
        for text in seen { for secret in secrets.values { #expect(!text.contains(secret), "\(secret) in clear") } }
    }

    /// Kills "used-token mark in its own transaction, before or after `started`": a start whose
    /// `started` entry cannot be written runs nothing and leaves the token usable; one whose
    /// used-token mark cannot be written runs nothing and writes no `started`.
    @Test func theTokenMarkAndTheStartAreOneTransaction() throws {
        let (s, token) = try RefusalTests.withToken()
        let db = s.path("home/state.db")
        func sql(_ text: String) throws {
            let r = try Spawned.run(["sqlite3", db, text])
            #expect(r.status == 0, "\(r.stderr)")
        }
        func count(_ text: String) throws -> Int {
            Int(try Spawned.run(["sqlite3", db, text]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        for (trigger, table) in [("no_started", "ledger WHEN NEW.kind = 'started'"), ("no_mark", "used_tokens")] {
            try sql("CREATE TRIGGER \(trigger) BEFORE INSERT ON \(table) BEGIN SELECT RAISE(ABORT, 'injected fault'); END;")
            let r = try s.run(["--token", token, "--", "sh", "-c", "echo ok"])
            #expect(r.status != 0 && r.stdout.isEmpty && r.stderr.contains("not running"), "\(trigger): \(r.stderr)")
            #expect(try count("SELECT count(*) FROM ledger WHERE kind = 'started'") == 0, "\(trigger)")
            #expect(try count("SELECT count(*) FROM used_tokens") == 0, "\(trigger): the token was burned")
            try sql("DROP TRIGGER \(trigger);")
        }
        // Neither fault burned the token: it runs now, once.
        let ok = try s.run(["--token", token, "--", "sh", "-c", "echo ok"])
        #expect(ok.status == 0 && ok.stdout == "ok\n", "\(ok.stderr)")
        #expect(try count("SELECT count(*) FROM ledger WHERE kind = 'started'") == 1)
    }

    /// Kills "policy mask 0o022 → 0o020": a policy writable by others only, and its directory.
    @Test func aPolicyOrDirectoryWritableByOthersIsRefused() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- /usr/bin/true\n")
        chmod(s.policyPath, 0o602)
        let file = try s.run(["--", "/usr/bin/true"])
        #expect(file.status == 78 && file.stderr.contains("writable by group or others"), "\(file.stderr)")
        chmod(s.policyPath, 0o620)
        #expect(try s.run(["--", "/usr/bin/true"]).status == 78)
        chmod(s.policyPath, 0o600)
        #expect(try s.run(["--", "/usr/bin/true"]).status == 0)
        chmod(s.path("etc"), 0o707)
        let dir = try s.run(["--", "/usr/bin/true"])
        #expect(dir.status == 78 && dir.stderr.contains("policy directory"), "\(dir.stderr)")
        chmod(s.path("etc"), 0o755)
    }
}
