import GateCrypto
import GateWire

/// Signing and checking requester statements (SPEC.md §9). As with tokens, the signer verifies
/// its own output, and the key id is matched against the registered requesters before any
/// cryptography.
public enum StatementSigning {
    public struct SelfCheckFailed: Error {}

    public static func sign(_ payload: StatementPayload, with identity: SigningIdentity) throws -> SignedStatement {
        precondition(payload.keyID == identity.publicKey.id, "payload names another key")
        let bytes = payload.encoded()
        let statement = try SignedStatement(payloadBytes: bytes, signature: identity.signingKey.signature(for: bytes))
        guard identity.publicKey.key.isValidSignature(statement.signature, for: statement.payloadBytes),
              try SignedStatement(text: statement.text) == statement else { throw SelfCheckFailed() }
        return statement
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unknownKey(KeyID)
        case badSignature(KeyID)
        case wrongAction(expected: StatementPayload.Action)
        case otherRequest(String)
        case bodyMismatch
        case stale(issuedAt: UInt64, now: UInt64)

        public var description: String {
            switch self {
            case .unknownKey(let id): return "statement is signed by key \(id), which is not a registered requester"
            case .badSignature(let id): return "statement signature does not verify under key \(id)"
            case .wrongAction(let a): return "statement is not a '\(a)' statement"
            case .otherRequest(let id): return "statement names request \(id), not this one"
            case .bodyMismatch: return "the body does not match the digest the statement signs"
            case .stale(let at, let now):
                return "statement was issued at \(formatUTC(at)), more than \(ApprovalCheck.allowedSkew)s from the server's clock (\(formatUTC(now)))"
            }
        }
    }

    /// Checks who signed (a registered requester, before any cryptography), the signature, the
    /// action, the body digest and freshness. Returns the requester the policy names.
    public static func check(_ s: SignedStatement, policy: Policy, action: StatementPayload.Action, body: [UInt8]?,
                             now: UInt64) throws(Problem) -> Policy.Requester {
        let requester = try checkBeforeBody(s, policy: policy, action: action, now: now)
        let expected = body.map { BLAKE2b.hash($0) } ?? [UInt8](repeating: 0, count: 32)
        guard constantTimeEquals(s.payload.bodyDigest, expected) else { throw .bodyMismatch }
        return requester
    }

    /// Everything but the body digest: what a server checks from the `Gate-Statement` header
    /// before it reads a body larger than strangers may send (SPEC.md §9.2).
    public static func checkBeforeBody(_ s: SignedStatement, policy: Policy, action: StatementPayload.Action,
                                       now: UInt64) throws(Problem) -> Policy.Requester {
        guard let (requester, key) = policy.requester(forKey: s.payload.keyID) else { throw .unknownKey(s.payload.keyID) }
        guard key.key.isValidSignature(s.signature, for: s.payloadBytes) else { throw .badSignature(s.payload.keyID) }
        guard s.payload.action == action else { throw .wrongAction(expected: action) }
        let skew = ApprovalCheck.allowedSkew
        guard s.payload.issuedAt + skew >= now, s.payload.issuedAt <= now + skew else { throw .stale(issuedAt: s.payload.issuedAt, now: now) }
        return requester
    }
}

extension StatementPayload.Action: CustomStringConvertible {
    public var description: String {
        switch self { case .create: return "create"; case .cancel: return "cancel"; case .checkpoint: return "checkpoint" }
    }
}
