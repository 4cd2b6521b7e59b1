/// Parsing of the context statements and options (issue 4): `context NAME … -- ARGV`, `bind=`.
extension PolicyParser {
    static func parseBindTarget(_ value: String, line n: Int) throws -> Policy.BindTarget {
        if value.hasPrefix("{") && value.hasSuffix("}"), let i = Int(value.dropFirst().dropLast()), i >= 1 {
            return .argument(i)
        }
        guard !value.isEmpty, !value.contains("{") else {
            throw PolicyError(line: n, message: "bind= needs {N} (the file argv[N] names, N ≥ 1) or a file path")
        }
        return .path(value)
    }

    /// `context NAME [timeout=D] [max=SIZE] [required] -- ARGV…`
    static func parseContextProvider(_ words: ArraySlice<Word>, line n: Int) throws -> Policy.ContextProvider {
        func fail(_ m: String) -> PolicyError { PolicyError(line: n, message: m) }
        guard let name = words.first?.text, isName(name), name != "--" else { throw fail("expected 'context NAME [options] -- COMMAND…'") }
        guard let sep = words.firstIndex(where: { !$0.quoted && $0.text == "--" }), sep < words.endIndex - 1 else {
            throw fail("context '\(name)': expected '--' and the command to run, e.g. 'context plan -- terraform show -no-color {2}'")
        }
        var provider = Policy.ContextProvider(name: name, argv: words[(sep + 1)...].map(\.text), line: n)
        for w in words[(words.startIndex + 1)..<sep] {
            let parts = w.text.split(separator: "=", maxSplits: 1).map(String.init)
            switch (parts.first ?? "", parts.count) {
            case ("required", 1): provider.required = true
            case ("timeout", 2):
                guard let d = GateDuration(parsing: parts[1]), d.seconds > 0 else { throw fail("timeout= needs a duration such as 30s or 2m, at most 366d") }
                provider.timeoutSeconds = d.seconds
            case ("max", 2):
                guard let size = parseSize(parts[1]), size > 0, size <= 64 << 20 else { throw fail("max= needs a size up to 64M, such as 512K or 5M") }
                provider.maxBytes = size
            default:
                throw fail("unknown context option '\(w.text)' (expected timeout=, max= or required)")
            }
        }
        for word in provider.argv where Policy.substitute(word, Array(repeating: "", count: 1000)) == nil {
            throw fail("context '\(name)': '\(word)' has a malformed {N} (write {{ and }} for literal braces)")
        }
        return provider
    }

    /// `512`, `64K`, `5M` (binary units).
    static func parseSize(_ s: String) -> Int? {
        let unit: Int
        var digits = s[...]
        switch s.last {
        case "K", "k": unit = 1 << 10; digits = s.dropLast()
        case "M", "m": unit = 1 << 20; digits = s.dropLast()
        default: unit = 1
        }
        guard let n = Int(digits), n >= 0, n <= Int.max / unit else { return nil }
        return n * unit
    }
}
