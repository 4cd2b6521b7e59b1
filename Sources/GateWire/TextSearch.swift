/// Substring search by Characters, as `String.contains(_:)` and `firstRange(of:)` of
/// _StringProcessing compare them, without that module's generic machinery: its first uses in a
/// process instantiated type metadata by mangled name, and each call cast its arguments
/// dynamically; the redaction of six environment variables cost a gate run about a million
/// instructions that way, an eighth of a `--token` run (callgrind; BENCHMARKS.md, issue 17).
public enum TextSearch {
    /// The first range of `needle` in `haystack`, compared Character by Character (canonically
    /// equivalent Characters are equal, as String's `==` has them); nil when absent or empty.
    public static func firstRange(of needle: String, in haystack: String) -> Range<String.Index>? {
        guard let first = needle.first else { return nil }
        var start = haystack.startIndex
        while start < haystack.endIndex {
            if haystack[start] == first {
                var h = haystack.index(after: start)
                var n = needle.index(after: needle.startIndex)
                while n < needle.endIndex, h < haystack.endIndex, haystack[h] == needle[n] {
                    h = haystack.index(after: h)
                    n = needle.index(after: n)
                }
                if n == needle.endIndex { return start..<h }
            }
            start = haystack.index(after: start)
        }
        return nil
    }

    public static func contains(_ needle: String, in haystack: String) -> Bool {
        firstRange(of: needle, in: haystack) != nil
    }

    /// `text` with every `target` scalar replaced by `replacement`, whatever Character the scalar
    /// is part of. For escaping text another program reads by bytes or scalars (bash, Slack's
    /// mrkdwn): to them a quote followed by a combining mark (one Character to Swift: `'` +
    /// U+0301) is still a quote, and a Character-wise replacement leaves it in place.
    public static func replacingScalar(_ target: Unicode.Scalar, with replacement: String, in text: String) -> String {
        guard text.unicodeScalars.contains(target) else { return text }
        var out = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if c == target { out.append(contentsOf: replacement.unicodeScalars) } else { out.append(c) }
        }
        return String(out)
    }

    /// Where `needle` first occurs in `bytes` (indices of the underlying array); nil when absent
    /// or empty. By hand: the generic `firstRange(of:)` is _StringProcessing's, a module `gate`
    /// no longer links (its relocations cost every start, issue 17).
    public static func firstRange(ofBytes needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Range<Int>? {
        guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
        var i = bytes.startIndex
        while i <= bytes.endIndex - needle.count {
            var k = 0
            while k < needle.count && bytes[i + k] == needle[k] { k += 1 }
            if k == needle.count { return i..<(i + needle.count) }
            i += 1
        }
        return nil
    }

    /// Whether two names (users, paths) are the same bytes. String's `==` holds canonically
    /// equivalent texts equal ("é" and "e" + U+0301), which unix keeps apart as two accounts or
    /// two files.
    public static func sameBytes(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }
}
