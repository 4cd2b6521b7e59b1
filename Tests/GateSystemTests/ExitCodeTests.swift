import Foundation
import GateSystem
import Testing

/// gate(1)'s EXIT STATUS is the list a script reads; ExitCode is the list gate exits with.
@Suite struct ExitCodeTests {
    @Test func theManualListsExactlyTheEnumsCases() throws {
        let man = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("man/gate.1")
        let text = try String(contentsOf: man, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("EXIT STATUS:") })
        // "…; 64 usage; 65 damaged …; 127 not found.": the number that starts each clause.
        let documented = line.split(separator: ";").dropFirst().compactMap { clause in
            Int32(clause.drop { $0 == " " }.prefix { $0.isNumber })
        }
        #expect(documented == ExitCode.allCases.map(\.rawValue))
    }

    @Test func failuresImplyTheirRefusalCode() {
        #expect(GateFailure.config("x").refusalCode == .config)
        #expect(GateFailure(.unavailable, "x").refusalCode == .serverUnavailable)
        #expect(GateFailure.denied("x").refusalCode == nil)
        #expect(GateFailure.usage("x").refusalCode == nil)
    }
}
