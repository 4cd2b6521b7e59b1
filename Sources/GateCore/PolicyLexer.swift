/// Splits policy lines into words. Words are separated by blanks; `"…"` quotes a word (with `\"`
/// and `\\` as the only escapes); `#` at the start of a word begins a comment. There is no variable
/// expansion or globbing here: what is written is what is matched. Works on UTF-8 bytes: the
/// policy is read on every command, and Character iteration costs grapheme breaking.
struct PolicyLexer {
    struct Word: Equatable {
        var text: String
        var quoted: Bool
    }

    static func words(in line: ArraySlice<UInt8>, lineNumber: Int) throws -> [Word] {
        var words: [Word] = []
        try line.withUnsafeBufferPointer { try lex($0, lineNumber: lineNumber, into: &words) }
        return words
    }

    /// Appends the line's words to `words` (which the caller clears and reuses across lines, so a
    /// long policy does not allocate a word list per line).
    static func lex(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into words: inout [Word]) throws {
        // Unquoted words are slices of the line (no copy); only quoted words are rebuilt.
        var i = line.startIndex
        let end = line.endIndex
        while i < end {
            let c = line[i]
            if c == 32 || c == 9 { i += 1; continue }
            if c == UInt8(ascii: "#") { break }
            var current: [UInt8] = []
            var quoted = false
            let start = i
            var plain = true  // no quotes so far: the word is line[start..<i]
            while i < end {
                // Fast path: the ordinary bytes of an unquoted word (anything above space but
                // DEL and the double quote), scanned without further tests.
                if plain {
                    while i < end, line[i] > 32, line[i] != 0x7f, line[i] != UInt8(ascii: "\"") { i += 1 }
                    if i == end { break }
                }
                let c = line[i]
                if c == 32 || c == 9 { break }
                if c < 0x20 || c == 0x7f { throw PolicyError(line: lineNumber, message: "control character in policy line") }
                if c != UInt8(ascii: "\"") {
                    if !plain { current.append(c) }
                    i += 1
                    continue
                }
                if plain { current.append(contentsOf: line[start..<i]); plain = false }
                quoted = true
                i += 1
                var closed = false
                while i < end {
                    let q = line[i]
                    if q == UInt8(ascii: "\"") { closed = true; i += 1; break }
                    if q == UInt8(ascii: "\\") {
                        guard i + 1 < end, line[i + 1] == UInt8(ascii: "\"") || line[i + 1] == UInt8(ascii: "\\") else {
                            let e = i + 1 < end ? String(decoding: [line[i + 1]], as: UTF8.self) : ""
                            throw PolicyError(line: lineNumber, message: "unknown escape '\\\(e)' in quoted word (only \\\" and \\\\)")
                        }
                        current.append(line[i + 1])
                        i += 2
                        continue
                    }
                    if q < 0x20 || q == 0x7f { throw PolicyError(line: lineNumber, message: "control character in policy line") }
                    current.append(q)
                    i += 1
                }
                guard closed else { throw PolicyError(line: lineNumber, message: "unterminated quoted word") }
            }
            let text = plain ? String(decoding: UnsafeBufferPointer(rebasing: line[start..<i]), as: UTF8.self)
                : String(decoding: current, as: UTF8.self)
            words.append(Word(text: text, quoted: quoted))
        }
    }
}

public struct PolicyError: Error, Equatable, CustomStringConvertible, Sendable {
    public let line: Int
    public let message: String
    public init(line: Int, message: String) { self.line = line; self.message = message }
    public var description: String { "line \(line): \(message)" }
}
