import Foundation
import GateCore
import GateWire
import Testing

/// SPEC.md §6.1 is the list an auditor reads; RefusalCode is the list gate and gate-server
/// write. They are one list.
@Suite struct RefusalCodeTests {
    static func specCodes() throws -> [String] {
        let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SPEC.md")
        let text = try String(contentsOf: spec, encoding: .utf8)
        guard let start = text.range(of: "### 6.1 Refusal codes"), let end = text.range(of: "\n### ", range: start.upperBound..<text.endIndex) else {
            Issue.record("SPEC.md has no §6.1 Refusal codes")
            return []
        }
        return text[start.upperBound..<end.lowerBound].split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).prefix { $0 != "`" }.description
        }
    }

    @Test func theSpecListsExactlyTheEnumsCases() throws {
        let spec = try Self.specCodes()
        #expect(spec.count == Set(spec).count, "a code is listed twice")
        #expect(Set(spec) == Set(RefusalCode.allCases.map(\.rawValue)))
    }

    /// A code interpolated into a log line or message is the word, not the Swift case name
    /// (an operator's grep for `bad-id` must find it).
    @Test func aCodeReadsAsItsWord() {
        for code in RefusalCode.allCases { #expect("\(code)" == code.rawValue) }
    }

    @Test func everyTokenRefusalHasItsOwnCode() {
        let refusals: [TokenRefusal] = [.untrustedKey(KeyID(bytes: Array(repeating: 1, count: 8))!), .badSignature(KeyID(bytes: Array(repeating: 1, count: 8))!),
                                        .otherRequest(token: "A", expected: "B"), .intentMismatch(token: "a", now: "b"), .expired(at: 1),
                                        .issuedInFuture(at: 1), .selfApproval(approver: "a", user: "a"), .lifetimeTooLong(seconds: 2, allowed: 1)]
        #expect(Set(refusals.map(\.code)).count == refusals.count)
    }
}
