/// Splits policy lines into words. Words are separated by blanks; `"…"` quotes a word (with `\"`
/// and `\\` as the only escapes); `#` at the start of a word begins a comment. There is no variable
/// expansion or globbing here: what is written is what is matched.
struct PolicyLexer {
    struct Word: Equatable {
        var text: String
        var quoted: Bool
    }

    static func words(in line: String, lineNumber: Int) throws -> [Word] {
        var words: [Word] = []
        var current: [Character] = []
        var inWord = false
        var quoted = false
        var inQuotes = false
        var escaping = false
        for c in line {
            if inQuotes {
                if escaping {
                    guard c == "\"" || c == "\\" else {
                        throw PolicyError(line: lineNumber, message: "unknown escape '\\\(c)' in quoted word (only \\\" and \\\\)")
                    }
                    current.append(c)
                    escaping = false
                } else if c == "\\" {
                    escaping = true
                } else if c == "\"" {
                    inQuotes = false
                } else {
                    current.append(c)
                }
                continue
            }
            if c == " " || c == "\t" {
                if inWord { words.append(Word(text: String(current), quoted: quoted)) }
                current = []; inWord = false; quoted = false
            } else if c == "\"" {
                inWord = true; inQuotes = true; quoted = true
            } else if c == "#" && !inWord {
                break
            } else if c.asciiValue.map({ $0 < 0x20 || $0 == 0x7f }) ?? false {
                throw PolicyError(line: lineNumber, message: "control character in policy line")
            } else {
                inWord = true
                current.append(c)
            }
        }
        guard !inQuotes else { throw PolicyError(line: lineNumber, message: "unterminated quoted word") }
        if inWord { words.append(Word(text: String(current), quoted: quoted)) }
        return words
    }
}

public struct PolicyError: Error, Equatable, CustomStringConvertible, Sendable {
    public let line: Int
    public let message: String
    public init(line: Int, message: String) { self.line = line; self.message = message }
    public var description: String { "line \(line): \(message)" }
}
