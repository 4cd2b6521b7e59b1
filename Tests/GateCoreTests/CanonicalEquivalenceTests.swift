import Glibc
import Testing
@testable import GateCore

/// Found by the issue 17 attack round: a literal pattern compared as Swift Strings, which are
/// equal when canonically equivalent, so `allow -- /usr/bin/cat /tmp/café.txt` (é precomposed)
/// also allowed `/tmp/cafe\u{301}.txt`, another file. Matching is on bytes, and fnmatch agrees.
@Suite struct CanonicalEquivalenceTests {
    /// Pairs that are one text to String == and two byte strings (two files, two arguments).
    static let pairs: [(String, String)] = [
        ("/tmp/caf\u{e9}.txt", "/tmp/cafe\u{301}.txt"),
        ("K", "\u{212a}"),                       // the Kelvin sign decomposes to K
        ("\u{c5}", "\u{212b}"),                  // Å and the Ångström sign
        ("\u{1e9b}\u{323}", "\u{17f}\u{323}\u{307}"),
        ("a\u{301}\u{323}", "a\u{323}\u{301}"),  // combining marks in either order
        ("\u{ac00}", "\u{1100}\u{1161}"),        // a Hangul syllable and its jamo
    ]

    @Test func literalPatternsMatchOnlyTheirOwnBytes() {
        for (a, b) in Self.pairs {
            #expect(a == b, "the pair is not canonically equivalent: the test proves nothing")
            #expect(Glob.matches(a, a) && Glob.matches(b, b))
            #expect(!Glob.matches(a, b) && !Glob.matches(b, a), "\(a.unicodeScalars.map(\.value)) vs \(b.unicodeScalars.map(\.value))")
            #expect(!Glob.matches(a, b, pathname: true))
            #expect((fnmatch(a, b, 0) == 0) == Glob.matches(a, b))
        }
    }

    @Test func rulesAllowOnlyTheBytesTheyName() throws {
        for (a, b) in Self.pairs {
            let policy = try PolicyParser.parse("version 1\nallow -- /usr/bin/cat \(a)\nallow cwd=/srv/\(a) -- /usr/bin/true\ndefault deny\n")
            #expect(policy.decide(executable: "/usr/bin/cat", argv: ["/usr/bin/cat", a]).action == .allow)
            if case .allow = policy.decide(executable: "/usr/bin/cat", argv: ["/usr/bin/cat", b]).action {
                Issue.record("allow -- /usr/bin/cat \(a.unicodeScalars.map(\.value)) allowed \(b.unicodeScalars.map(\.value))")
            }
            #expect(policy.decide(executable: "/usr/bin/true", argv: ["/usr/bin/true"], cwd: "/srv/\(a)/x").action == .allow)
            if case .allow = policy.decide(executable: "/usr/bin/true", argv: ["/usr/bin/true"], cwd: "/srv/\(b)").action {
                Issue.record("cwd=/srv/\(a.unicodeScalars.map(\.value)) allowed /srv/\(b.unicodeScalars.map(\.value))")
            }
            if case .allow = policy.decide(executable: "/usr/bin/true", argv: ["/usr/bin/true"], cwd: "/srv/\(b)/x").action {
                Issue.record("cwd= prefix matched an equivalent directory")
            }
        }
    }
}
