import GateWire

/// Quotes argv for display so that it reads as exactly what runs, and so that nothing in it can
/// act on the terminal: words with control characters use bash's `$'…'` form with `\xNN` escapes.
public enum ShellQuote {
    static func isControl(_ c: Unicode.Scalar) -> Bool { c.isTerminalControl }

    public static func quote(_ s: String) -> String {
        let safe = s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "-_./=:,@+%".unicodeScalars.contains(c)
        }
        if safe && !s.isEmpty { return s }
        if s.unicodeScalars.contains(where: isControl) {
            var out = "$'"
            for c in s.unicodeScalars {
                switch c {
                case "\\": out += "\\\\"
                case "'": out += "\\'"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                default:
                    if isControl(c) {
                        out += byteEscapes(c)
                    } else {
                        out.unicodeScalars.append(c)
                    }
                }
            }
            return out + "'"
        }
        // By scalars: bash reads bytes, so `'` + U+0301 (one Character) still ends the quote
        // (Character-wise, the rest of such a word ran as shell: ShellQuoteTests).
        return "'" + TextSearch.replacingScalar("'", with: "'\\''", in: s) + "'"
    }

    /// `\xNN` for an ASCII control, `\uNNNN` above (bash's `$'…'` reads both as the character).
    static func escape(_ c: Unicode.Scalar) -> String {
        let hex = String(c.value, radix: 16)
        if c.value < 0x80 { return "\\x" + (c.value < 16 ? "0" : "") + hex }
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// The character's UTF-8 bytes as `\xNN` each: bash's `$'…'` makes exactly these bytes in any
    /// locale (a `\uNNNN` becomes the text `\uNNNN` under LC_ALL=C), so a quoted command
    /// re-reads as the same argv wherever it runs (the Claude Code hook's rewrite depends on it).
    static func byteEscapes(_ c: Unicode.Scalar) -> String {
        String(c).utf8.map { "\\x" + ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    public static func join(_ argv: [String]) -> String { argv.map(quote).joined(separator: " ") }

    /// Any text from a request (reason, comment, path) made inert for a terminal.
    public static func inert(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        for c in s.unicodeScalars {
            if isControl(c) { out += escape(c) } else { out.unicodeScalars.append(c) }
        }
        return out
    }
}
