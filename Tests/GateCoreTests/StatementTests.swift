import GateCore
import GateCrypto
import GateWire
import Testing

/// Requester statements (SPEC.md §9.1): canonical round trip and the server's checks in order.
@Suite struct StatementTests {
    static let requester = SigningIdentity(name: "ci1", signingKey: Ed25519.SigningKey(seed: Array(repeating: 3, count: 32))!)
    static let approver = SigningIdentity(name: "alice", signingKey: Ed25519.SigningKey(seed: Array(repeating: 4, count: 32))!)
    static let policy = try! PolicyParser.parse("""
        version 1
        approver alice user=alice key=\(approver.publicKey.text)
        requester ci1 key=\(requester.publicKey.text)
        require 1 -- /bin/echo ...

        """)

    static func statement(_ action: StatementPayload.Action = .create, body: [UInt8]? = [1, 2, 3], at: UInt64 = 1_800_000_000,
                          by who: SigningIdentity = requester) throws -> SignedStatement {
        try StatementSigning.sign(StatementPayload(keyID: who.publicKey.id, action: action, requestID: "7K3FQ2XZ",
                                                   intentDigest: Array(repeating: 9, count: 32),
                                                   bodyDigest: body.map { BLAKE2b.hash($0) } ?? Array(repeating: 0, count: 32),
                                                   issuedAt: at, nonce: Array(repeating: 5, count: 16)), with: who)
    }

    @Test func roundTripIsCanonicalAndDeterministic() throws {
        let s = try Self.statement()
        let parsed = try SignedStatement(text: s.text)
        #expect(parsed == s && parsed.payload.encoded() == s.payloadBytes && parsed.text == s.text)
        // Ed25519 is deterministic: the same statement signs to the same text.
        #expect(try Self.statement().text == s.text)
        #expect(s.text.hasPrefix("gatereq1."))
    }

    @Test func everyAlteredByteIsRefused() throws {
        let s = try Self.statement()
        for i in s.payloadBytes.indices {
            var bytes = s.payloadBytes
            bytes[i] ^= 0x01
            let altered = try? SignedStatement(payloadBytes: bytes, signature: s.signature)
            guard let altered else { continue }  // no longer parses: refused earlier
            #expect(throws: StatementSigning.Problem.self) {
                _ = try StatementSigning.check(altered, policy: Self.policy, action: .create, body: [1, 2, 3], now: 1_800_000_000)
            }
        }
        for bad in ["", "gatereq1.", "gatereq1.AA", "gatereq2.AA.BB", s.text + ".x", s.text.replacingOccurrences(of: "gatereq1.", with: "gatereq1..")] {
            #expect(throws: WireError.self) { _ = try SignedStatement(text: bad) }
        }
    }

    @Test func theServersChecksComeInOrder() throws {
        let ok = try StatementSigning.check(try Self.statement(), policy: Self.policy, action: .create, body: [1, 2, 3], now: 1_800_000_100)
        #expect(ok.name == "ci1")
        func problem(_ s: SignedStatement, action: StatementPayload.Action = .create, body: [UInt8]? = [1, 2, 3], now: UInt64 = 1_800_000_000) -> StatementSigning.Problem? {
            do { _ = try StatementSigning.check(s, policy: Self.policy, action: action, body: body, now: now); return nil } catch { return error }
        }
        // An approver's key is not a requester's, and the key id is refused before any crypto.
        #expect(problem(try Self.statement(by: Self.approver)) == .unknownKey(Self.approver.publicKey.id))
        let s = try Self.statement()
        var sig = s.signature
        sig[0] ^= 1
        #expect(problem(try SignedStatement(payloadBytes: s.payloadBytes, signature: sig)) == .badSignature(Self.requester.publicKey.id))
        #expect(problem(s, action: .cancel) == .wrongAction(expected: .cancel))
        #expect(problem(s, body: [1, 2, 4]) == .bodyMismatch)
        #expect(problem(s, body: nil) == .bodyMismatch)
        #expect(problem(s, now: 1_800_000_301) == .stale(issuedAt: 1_800_000_000, now: 1_800_000_301))
        #expect(problem(s, now: 1_799_999_699) == .stale(issuedAt: 1_800_000_000, now: 1_799_999_699))
        #expect(problem(try Self.statement(.cancel, body: nil), action: .cancel, body: nil) == nil)
    }
}
