@testable import GateCore
import GateCrypto
@testable import GateFlows
import GateWire
import Testing

/// The start's record proves its approvals on its own (SPEC.md §5 step 5, §8 step 5): each was
/// valid at the second the `started` entry records, checked in the transaction that writes it.
@Suite struct LauncherTests {
    static let bob = SigningIdentity(name: "bob", signingKey: Ed25519.SigningKey(seed: Array(repeating: 7, count: 32))!)

    static func approval(issued: UInt64, expires: UInt64) throws -> VerifiedDecision {
        let p = TokenPayload(keyID: bob.publicKey.id, requestID: "7K3FQ2XZ", intentDigest: Array(repeating: 1, count: 32), decision: .approve,
                             issuedAt: issued, expiresAt: expires, nonce: Array(repeating: 2, count: 16), comment: "")
        return VerifiedDecision(approver: "bob", token: try TokenSigning.sign(p, with: bob))
    }

    @Test func anApprovalMustBeValidAtTheRecordedSecond() throws {
        let t: UInt64 = 1_800_000_000
        let a = try Self.approval(issued: t - 60, expires: t)
        // The last microsecond of the second before expiry: valid.
        try Launcher.validAtStart([a], micros: Int64(t) * 1_000_000 - 1)
        // The expiry second itself: the record would show a start the token did not cover.
        #expect { try Launcher.validAtStart([a], micros: Int64(t) * 1_000_000) } throws: { ($0 as? RequestNotStanding)?.code == .expired }
        // Issued more than 300 s after the recorded start: refused, not recorded.
        let future = try Self.approval(issued: t + 301, expires: t + 900)
        #expect { try Launcher.validAtStart([future], micros: Int64(t) * 1_000_000) } throws: { ($0 as? RequestNotStanding)?.code == .issuedInFuture }
        try Launcher.validAtStart([try Self.approval(issued: t + 300, expires: t + 900)], micros: Int64(t) * 1_000_000)
    }
}
