/// Splits policy lines into words. Words are separated by blanks; `"…"` quotes a word (with `\"`
/// and `\\` as the only escapes); `#` at the start of a word begins a comment. There is no variable
/// expansion or globbing here: what is written is what is matched. Works on UTF-8 bytes: the
/// policy is read on every command, and Character iteration costs grapheme breaking.
struct PolicyLexer {
    struct Word: Equatable {
        var text: String
        var quoted: Bool
    }

    static func words<Bytes: Collection<UInt8>>(in line: Bytes, lineNumber: Int) throws -> [Word] {
        var words: [Word] = []
        var current: [UInt8] = []
        var inWord = false, quoted = false, inQuotes = false, escaping = false
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), hash = UInt8(ascii: "#")
        func finish() {
            words.append(Word(text: String(decoding: current, as: UTF8.self), quoted: quoted))
            current.removeAll(keepingCapacity: true)
            inWord = false
            quoted = false
        }
        for c in line {
            if inQuotes {
                if escaping {
                    guard c == quote || c == backslash else {
                        throw PolicyError(line: lineNumber, message: "unknown escape '\\\(String(decoding: [c], as: UTF8.self))' in quoted word (only \\\" and \\\\)")
                    }
                    current.append(c)
                    escaping = false
                } else if c == backslash {
                    escaping = true
                } else if c == quote {
                    inQuotes = false
                } else {
                    current.append(c)
                }
                continue
            }
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if inWord { finish() }
            case quote:
                inWord = true; inQuotes = true; quoted = true
            case hash where !inWord:
                return words
            case 0..<0x20, 0x7f:
                throw PolicyError(line: lineNumber, message: "control character in policy line")
            default:
                inWord = true
                current.append(c)
            }
        }
        guard !inQuotes else { throw PolicyError(line: lineNumber, message: "unterminated quoted word") }
        if inWord { finish() }
        return words
    }
}

public struct PolicyError: Error, Equatable, CustomStringConvertible, Sendable {
    public let line: Int
    public let message: String
    public init(line: Int, message: String) { self.line = line; self.message = message }
    public var description: String { "line \(line): \(message)" }
}
