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
}
