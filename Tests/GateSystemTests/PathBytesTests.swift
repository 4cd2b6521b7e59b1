import Testing
@testable import GateSystem
@testable import GateCore

/// Paths are split where the kernel splits them: at every `/` byte. Swift's Characters would hide
/// a `/` that a combining mark follows (U+0301) or a prepended mark precedes (U+0600), so each
/// helper is checked against a byte-wise reference on such spellings.
@Suite struct PathBytesTests {
    static let marks = ["\u{301}", "\u{200D}", "\u{FE0F}", "\u{20E3}", "\u{1F3FD}", "\u{600}", "\u{E33}"]

    /// Reference parent/basename by bytes, as dirname(1)/basename(1) read a path without `..`.
    static func refParent(_ p: String) -> String {
        let u = Array(p.utf8)
        guard let i = u.lastIndex(of: 0x2F) else { return "." }
        return i == 0 ? "/" : String(decoding: u[..<i], as: UTF8.self)
    }

    @Test func componentsSplitAtEverySlashByte() {
        for m in Self.marks {
            for p in ["/a/\(m)b", "/a\(m)/b", "/\(m)/x", "x/\(m)true", "/usr/bin/\(m)sh", "/tmp/e\(m)/\(m)/y", "\(m)/z"] {
                #expect(Paths.parent(of: p) == Self.refParent(p), "\(Array(p.unicodeScalars))")
                let last = p.utf8.split(separator: 0x2F).last.map { String(decoding: $0, as: UTF8.self) } ?? p
                #expect(Paths.basename(p) == last, "\(Array(p.unicodeScalars))")
                #expect(Policy.directory(of: p) == (p.utf8.contains(0x2F) ? Self.refParent(p) : ""))
                #expect(String(Policy.fileName(of: p)).utf8.elementsEqual(p.utf8.split(separator: 0x2F, omittingEmptySubsequences: false).last!))
            }
            // Absolute whatever its first Character is.
            #expect(Paths.join("/cwd", "/\(m)x") == "/\(m)x")
            #expect(Paths.join("/cwd/", "\(m)x") == "/cwd/\(m)x")
            #expect(Paths.join("/cwd\(m)", "x") == "/cwd\(m)/x")
        }
        #expect(Paths.basename("/") == "/" && Paths.basename("") == "" && Paths.basename("/a/b//") == "b")
        #expect(Paths.parent(of: "x") == "." && Paths.parent(of: "/x") == "/")
    }

    @Test func aLocaleValueWithASlashByteNamesAFile() {
        for m in Self.marks {
            #expect(EnvironmentReset.pointsLocaleAtAFile(name: "TZ", value: "/\(m)etc/x"[...]))
            #expect(EnvironmentReset.pointsLocaleAtAFile(name: "LANG", value: "\(m)/x"[...]))
            #expect(EnvironmentReset.pointsLocaleAtAFile(name: "LC_ALL", value: "%\(m)"[...]))
        }
        #expect(EnvironmentReset.pointsLocaleAtAFile(name: "LANG", value: "a..b"[...]))
        #expect(!EnvironmentReset.pointsLocaleAtAFile(name: "LANG", value: "C.UTF-8"[...]))
        #expect(!EnvironmentReset.pointsLocaleAtAFile(name: "TZ", value: "UTC"[...]))
    }
}
