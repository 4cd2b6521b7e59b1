import GateCore
import GateCrypto
import GateWire
import Testing

/// Keys with fixed seeds, so policies in these tests are stable text.
enum TestKeys {
    static func identity(_ n: UInt8, _ name: String) -> SigningIdentity {
        SigningIdentity(name: name, signingKey: Ed25519.SigningKey(seed: [UInt8](repeating: n, count: 32))!)
    }
    static let alice = identity(1, "alice"), bob = identity(2, "bob"), carol = identity(3, "carol"), mallory = identity(9, "mallory")
}

@Suite struct PolicyParsingTests {
    static let header = """
        version 1
        approver alice user=alice key=\(TestKeys.alice.publicKey.text)
        approver bob user=bob key=\(TestKeys.bob.publicKey.text)
        approver carol user=carol key=\(TestKeys.carol.publicKey.text)
        group sre alice bob carol
        group dba carol

        """

    static func parse(_ rules: String) throws -> Policy { try PolicyParser.parse(header + rules) }

    @Test func lastMatchingRuleWinsAndDefaultDenies() throws {
        let p = try Self.parse("""
            require 1 -- terraform ...
            allow -- terraform plan ...
            deny "never on Fridays" -- terraform destroy ...
            """)
        #expect(p.decide(executable: "/usr/bin/terraform", argv: ["terraform", "plan"]).action == .allow)
        #expect(p.decide(executable: "/usr/bin/terraform", argv: ["terraform", "apply", "x"]).action == .require([.init(count: 1, group: nil)]))
        #expect(p.decide(executable: "/usr/bin/terraform", argv: ["terraform", "destroy"]).action == .deny(message: "never on Fridays"))
        let none = p.decide(executable: "/usr/bin/ls", argv: ["ls"])
        #expect(none.action == .deny(message: nil))
        #expect(none.rule == "default")
    }

    // (rule, executable, argv, matches)
    static let matching: [(String, String, [String], Bool)] = [
        ("allow -- git status", "/usr/bin/git", ["git", "status"], true),
        ("allow -- git status", "/usr/bin/git", ["git", "status", "-s"], false),
        ("allow -- git status", "/usr/bin/git", ["git"], false),
        ("allow -- git status ...", "/usr/bin/git", ["git", "status", "-s"], true),
        ("allow -- git status ...", "/usr/bin/git", ["git", "status"], true),
        ("allow -- git ...", "/usr/bin/git", ["git"], true),
        ("allow -- /usr/bin/git ...", "/usr/bin/git", ["git", "x"], true),
        ("allow -- /usr/bin/git ...", "/opt/bin/git", ["git", "x"], false),
        ("allow -- git ...", "/tmp/evil/notgit", ["git"], false),  // basename of what runs, not argv[0]
        ("allow -- ls *", "/bin/ls", ["ls", "-la"], true),
        ("allow -- ls *", "/bin/ls", ["ls"], false),
        ("allow -- ls *", "/bin/ls", ["ls", "a", "b"], false),
        ("allow -- kubectl get pods -n ?*", "/k/kubectl", ["kubectl", "get", "pods", "-n", "prod"], true),
        ("allow -- kubectl get pods -n ?*", "/k/kubectl", ["kubectl", "get", "pods", "-n", ""], false),
        ("allow -- \"a b\"", "/bin/a b", ["a b"], true),
        ("allow -- echo \"a b\"", "/bin/echo", ["echo", "a", "b"], false),
        ("allow -- echo \"...\"", "/bin/echo", ["echo", "..."], true),
        ("allow -- echo \"...\"", "/bin/echo", ["echo", "x"], false),
        ("allow -- echo \\*", "/bin/echo", ["echo", "*"], true),
        ("allow -- echo \\*", "/bin/echo", ["echo", "x"], false),
        ("allow -- sh -c *", "/bin/sh", ["sh", "-c", "rm -rf / && ls"], true),
        ("allow -- python3*", "/usr/bin/python3.11", ["python3.11"], true),
        // An allow matches only under the name the program sees (an rbash called bash is bash).
        ("allow -- rbash ...", "/usr/bin/rbash", ["bash", "-c", "x"], false),
    ]

    @Test("argv matching", arguments: matching)
    func matches(_ c: (String, String, [String], Bool)) throws {
        let p = try Self.parse(c.0)
        #expect((p.decide(executable: c.1, argv: c.2, aliases: [c.1]).action == .allow) == c.3, "\(c.0) vs \(c.2)")
    }

    // (policy text, expected line, message fragment)
    static let errors: [(String, Int, String)] = [
        ("frobnicate -- x", 7, "unknown statement"),
        ("allow git status", 7, "expected '--'"),
        ("allow --", 7, "missing command"),
        ("require 3 of dba -- x", 7, "needs 3 of 'dba' but the group has 1 member"),
        ("require 1 of ops -- x", 7, "unknown group 'ops'"),
        ("require 0 -- x", 7, "from 1 to 100"),
        ("require 5 -- x", 7, "only 3 approvers"),
        ("allow -- echo \"unterminated", 7, "unterminated quoted word"),
        ("allow -- ls ... -l", 7, "'...' may only end a pattern"),
        ("allow -- bin/ls", 7, "bare name or an absolute path"),
        ("group sre alice", 7, "defined twice"),
        ("group ops zed", 7, "'zed' is not a declared approver"),
        ("approver dave user=dave key=\(TestKeys.alice.publicKey.text)", 7, "listed for both 'alice' and 'dave'"),
        ("approver dave key=\(TestKeys.mallory.publicKey.text)", 7, "needs user="),
        ("approver dave user=dave key=gatepk1:AAAA", 7, "public key"),
        ("approver dave user=dave", 7, "at least one key"),
        ("default allow\ndefault allow", 8, "given twice"),
        ("version 2", 7, "unsupported policy version"),
        ("allow --timeout=5 -- ls", 7, "unknown rule option"),
    ]

    @Test("errors name their line", arguments: errors)
    func errorsNameTheirLine(_ c: (String, Int, String)) {
        do {
            _ = try Self.parse(c.0)
            Issue.record("accepted: \(c.0)")
        } catch let e as PolicyError {
            #expect(e.line == c.1, "\(c.0): \(e)")
            #expect(e.message.contains(c.2), "\(c.0): \(e.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func commentsBlankLinesAndCRLF() throws {
        let p = try PolicyParser.parse("# a comment\r\n\r\nversion 1   # trailing\r\nallow -- ls\r\n")
        try #require(p.rules.count == 1)
        #expect(p.rules[0].line == 4)
    }

    @Test func sourceLinesForExplanations() throws {
        let p = try PolicyParser.parse("version 1\n  allow -- ls ...   # list\r\n\nallow -- true\n")
        #expect(p.sourceLine(2) == "allow -- ls ...   # list")
        #expect(p.sourceLine(4) == "allow -- true")
        #expect(p.sourceLine(9) == "")
    }

    @Test func policyDigestIsOfTheBytes() throws {
        let a = try PolicyParser.parse("allow -- ls\n"), b = try PolicyParser.parse("allow -- ls \n")
        #expect(a.digest.count == 32 && a.digest != b.digest)
    }
}

@Suite struct GlobAndDurationTests {
    @Test func glob() {
        #expect(Glob.matches("*", ""))
        #expect(Glob.matches("a*b*c", "aXXbYYc"))
        #expect(!Glob.matches("a*b*c", "aXXbYY"))
        #expect(Glob.matches("?", "é"))
        #expect(Glob.matches("a\\?", "a?"))
        #expect(!Glob.matches("a\\?", "ab"))
        // Pathological pattern stays linear-ish.
        #expect(!Glob.matches(String(repeating: "*a", count: 30) + "b", String(repeating: "a", count: 200)))
    }

    @Test func durations() {
        #expect(GateDuration(parsing: "15m")?.seconds == 900)
        #expect(GateDuration(parsing: "1h30m")?.seconds == 5400)
        #expect(GateDuration(parsing: "2d")?.seconds == 172800)
        #expect(GateDuration(seconds: 5400).description == "1h30m")
        for bad in ["", "15", "m", "1x", "-1m", "0s", "99999999999999999999s"] { #expect(GateDuration(parsing: bad) == nil, "\(bad)") }
    }

    @Test func requestIDs() {
        let id = RequestID(randomBytes: [0x12, 0x34, 0x56, 0x78, 0x9a])
        #expect(id.compact.count == 8)
        #expect(RequestID(id.description) == id)
        #expect(RequestID(id.description.lowercased()) == id)
        #expect(RequestID.normalise("ol-i") == "011")
        #expect(RequestID.normalise("U") == nil)
        #expect(RequestID.normalise("123456789") == nil)
    }

    @Test func utcTimes() {
        #expect(parseUTC("1970-01-01") == 0)
        #expect(parseUTC("2026-11-22T03:49:32Z").map(formatUTC) == "2026-11-22T03:49:32Z")
        #expect(parseUTC("2024-02-29") != nil)
        #expect(parseUTC("1795000000") == 1_795_000_000)
        for bad in ["", "yesterday", "2026-02-31", "2023-02-29", "2026-13-01", "2026-11-22T25:00:00Z", "2026-11-22 05:00:00", "2026-11-22T05:00:00+01:00"] {
            #expect(parseUTC(bad) == nil, "\(bad)")
        }
    }

    @Test func jsonRoundTripAndEscaping() throws {
        let v: JSON = .object([("a", .string("x\u{1b}[2J\"\\\n\u{7f}é")), ("b", .array([.int(-3), .bool(true), .null]))])
        let text = v.serialized()
        #expect(!text.contains("\u{1b}"))
        #expect(try JSON.parse(text) == v)
        #expect(try JSON.parse(v.serialized(pretty: true)) == v)
        #expect(throws: WireError.self) { try JSON.parse("{\"a\":1} x") }
    }
}
