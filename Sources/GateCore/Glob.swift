/// Shell-style wildcard matching on whole strings: `*` any run of characters, `?` one character,
/// `\` makes the next character literal. Nothing else is special. With `pathname` (executable
/// paths), `*` and `?` never match `/`, as fnmatch's FNM_PATHNAME: `/usr/bin/*` is the files
/// of /usr/bin, not everything below it. Matching is on Unicode scalars, iterative (no
/// backtracking blow-up).
public enum Glob {
    public static func isLiteral(_ pattern: String) -> Bool {
        !pattern.unicodeScalars.contains { $0 == "*" || $0 == "?" || $0 == "\\" }
    }

    public static func matches(_ pattern: String, _ text: String, pathname: Bool = false) -> Bool {
        // Bytes, not String ==: that one holds canonically equivalent texts equal ("café" as é or
        // as e + U+0301, "K" and the Kelvin sign), which name different files and arguments.
        if isLiteral(pattern) { return pattern.utf8.elementsEqual(text.utf8) }
        enum Token: Equatable { case star, any, char(Unicode.Scalar) }
        var tokens: [Token] = []
        var escape = false
        for s in pattern.unicodeScalars {
            if escape { tokens.append(.char(s)); escape = false; continue }
            switch s {
            case "\\": escape = true
            case "*": if tokens.last != .star { tokens.append(.star) }
            case "?": tokens.append(.any)
            default: tokens.append(.char(s))
            }
        }
        if escape { tokens.append(.char("\\")) }
        let t = Array(text.unicodeScalars)
        var p = 0, i = 0
        var starP = -1, starI = 0
        while i < t.count {
            let wild = !(pathname && t[i] == "/")  // may a wildcard take this character?
            if p < tokens.count, tokens[p] != .star, (tokens[p] == .any && wild) || tokens[p] == .char(t[i]) {
                p += 1; i += 1
            } else if p < tokens.count, tokens[p] == .star {
                starP = p; starI = i; p += 1
            } else if starP >= 0, !(pathname && t[starI] == "/") {
                p = starP + 1; starI += 1; i = starI
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p] == .star { p += 1 }
        return p == tokens.count
    }
}
