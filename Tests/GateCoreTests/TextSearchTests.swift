@testable import GateCore
import GateWire
import Testing

/// Issue 17: redaction's substring search no longer goes through _StringProcessing (a million
/// instructions a run). It must find exactly what String's own search finds, Character by
/// Character, so nothing that was redacted before is shown now.
@Suite struct TextSearchTests {
    /// The byte search the HTTP client finds header ends and chunk lines with agrees with a
    /// naive search on random arrays and slices (offsets included), and never reads outside.
    @Test func byteSearchAgreesWithANaiveOne() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let hay = (0..<Int.random(in: 0...40, using: &rng)).map { _ in [10, 13, 65][Int.random(in: 0...2, using: &rng)] as UInt8 }
            let needle = (0..<Int.random(in: 0...4, using: &rng)).map { _ in [10, 13, 65][Int.random(in: 0...2, using: &rng)] as UInt8 }
            let from = hay.isEmpty ? 0 : Int.random(in: 0...hay.count, using: &rng)
            let slice = hay[from...]
            var expected: Range<Int>?
            if !needle.isEmpty && slice.count >= needle.count {
                for i in from...(hay.count - needle.count) where Array(hay[i..<(i + needle.count)]) == needle { expected = i..<(i + needle.count); break }
            }
            #expect(TextSearch.firstRange(ofBytes: needle, in: slice) == expected, "\(hay) \(from) \(needle)")
        }
    }

    static let pieces = ["a", "K", "KEY", "://", "/", ":", "..", ".", "e\u{301}", "\u{E9}", "\u{301}", "K\u{301}", "👩‍💻", "\u{212A}",
                         "ß", "ſ", " ", "TOKEN", "token", "x", "://\u{301}", "\u{200D}", "\r\n", "\n", "%"]

    @Test func findsWhatStringsOwnSearchFinds() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let hay = (0..<Int.random(in: 0...8, using: &generator)).map { _ in Self.pieces.randomElement(using: &generator)! }.joined()
            let needle = (0..<Int.random(in: 1...3, using: &generator)).map { _ in Self.pieces.randomElement(using: &generator)! }.joined()
            let ours = TextSearch.firstRange(of: needle, in: hay)
            let theirs = hay.firstRange(of: needle)
            #expect(ours == theirs, "\(Array(hay.unicodeScalars)) / \(Array(needle.unicodeScalars))")
            // (String.contains here would be Foundation's, imported by the test runner: the
            // production modules import no Foundation, and there it is firstRange's search.)
            #expect(TextSearch.contains(needle, in: hay) == (hay.firstRange(of: needle) != nil))
        }
        #expect(TextSearch.firstRange(of: "", in: "abc") == nil)
    }

    @Test func secretNamesAndURLCredentialsAreRedactedAsBefore() throws {
        for name in ["GITHUB_TOKEN", "aws_secret_access_key", "DB_PASSWORD", "Api-Key", "paſſword", "MY_AUTH", "sessionid", "X_COOKIE_JAR"] {
            #expect(Redactor.isSecretName(name), "\(name)")
        }
        for name in ["PATH", "HOME", "LANG", "TERM", "EDITOR"] { #expect(!Redactor.isSecretName(name), "\(name)") }
        let r = try #require(Redactor(key: Array(repeating: 7, count: 32)))
        let shown = r.shown(name: "DATABASE_URL", value: "postgres://app:hunter2@db.internal:5432/prod")
        #expect(shown.redacted && !shown.value.contains("hunter2") && shown.value.hasPrefix("postgres://redacted:"), "\(shown)")
        #expect(shown.value.hasSuffix("@db.internal:5432/prod"))
        #expect(r.shown(name: "HOME", value: "/home/x").value == "/home/x")
    }
}

/// The one rule for time zone and locale values that could name a file (RunAs and the daemon's
/// worker both use it; the worker had lost `%`).
@Suite struct LocaleFileRuleTests {
    @Test func pathsEscapesAndParentsAreFilesPlainValuesAreNot() {
        for (name, value) in [("TZ", "/etc/evil"), ("TZ", "Europe/Paris"), ("LANG", "../../x"), ("LC_ALL", "C%s"), ("LANGUAGE", "a..b"),
                              ("LOCPATH", "anything"), ("LC_TIME", "x/y")] {
            #expect(EnvironmentReset.pointsLocaleAtAFile(name: name, value: Substring(value)), "\(name)=\(value)")
        }
        for (name, value) in [("TZ", "UTC"), ("LANG", "C.UTF-8"), ("LC_ALL", "en_US.UTF-8"), ("PATH", "/usr/bin"), ("HOME", "../x")] {
            #expect(!EnvironmentReset.pointsLocaleAtAFile(name: name, value: Substring(value)), "\(name)=\(value)")
        }
    }
}
