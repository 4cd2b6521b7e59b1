import Foundation
import Testing
@testable import GateSystem

/// ShellQuote promises a display that "reads as exactly what runs": bash, given the quoted text,
/// must get back the very argument, byte for byte. bash reads bytes, not Swift's Characters, so
/// a quote joined to a combining mark (one Character: `'` + U+0301) is still a quote to it.
@Suite struct ShellQuoteTests {
    /// What bash makes of `quoted` as one word: printf's argument, NUL-terminated.
    static func bashReads(_ quoted: [String]) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["--norc", "--noprofile", "-c", "printf '%s\\0' " + quoted.joined(separator: " ")]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var words = String(decoding: data, as: UTF8.self).components(separatedBy: "\0")
        if words.last == "" { words.removeLast() }
        return words
    }

    static let marks: [String] = ["\u{301}", "\u{20E3}", "\u{200D}", "\u{FE0F}", "\u{1F3FD}", "\u{308}", "\u{0E31}", "\u{1160}"]

    @Test func aQuoteJoinedToACombiningMarkIsStillQuoted() throws {
        let words = Self.marks.map { "x'\($0); echo injected '" } + Self.marks.map { "'\($0)" } + ["a'b", "'", "''", "it's"]
        let read = try Self.bashReads(words.map(ShellQuote.quote))
        #expect(read == words, "\(words.map(ShellQuote.quote))")
    }

    @Test func randomWordsComeBackAsTheyWere() throws {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["'", "\"", "\\", "$", "`", " ", ";", "a", "é", "e\u{301}", "\u{1F468}\u{200D}\u{1F469}", "!", "*", "\u{7F}", "\n", "\t", "\u{1B}[31m", "%", "~"]
            + Self.marks
        var words: [String] = []
        for _ in 0..<300 {
            var w = ""
            for _ in 0..<Int.random(in: 0...8, using: &rng) { w += pieces.randomElement(using: &rng)! }
            words.append(w)
        }
        let read = try Self.bashReads(words.map(ShellQuote.quote))
        #expect(read == words)
    }
}
