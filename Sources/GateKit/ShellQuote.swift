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
                        for b in String(c).utf8 { out += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16) }
                    } else {
                        out.unicodeScalars.append(c)
                    }
                }
            }
            return out + "'"
        }
        return "'" + s.replacingAll("'", with: "'\\''") + "'"
    }

    public static func join(_ argv: [String]) -> String { argv.map(quote).joined(separator: " ") }

    /// Any text from a request (reason, comment, path) made inert for a terminal.
    public static func inert(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        for c in s.unicodeScalars {
            if isControl(c) { out += "\\x" + (c.value < 16 ? "0" : "") + String(c.value, radix: 16) } else { out.unicodeScalars.append(c) }
        }
        return out
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
