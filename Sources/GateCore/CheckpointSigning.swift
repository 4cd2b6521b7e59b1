import GateCrypto
import GateWire

/// Signing and checking ledger checkpoints (SPEC.md §6.2). Pure: the key and the ledger's state
/// are handed in.
public enum CheckpointSigning {
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case otherLedger(found: String, expected: String)
        case otherKey(found: KeyID, expected: KeyID)
        case badSignature
        case noLedgerKey(found: KeyID)

        public var description: String {
            switch self {
            case .otherLedger(let f, let e): return "it belongs to ledger \(f), not \(e)"
            case .otherKey(let f, let e): return "it is signed by key \(f), not the ledger key \(e)"
            case .badSignature: return "its signature does not verify (forged or edited)"
            case .noLedgerKey(let f): return "it is signed by key \(f) but the ledger has no recorded key to check it against"
            }
        }
    }

    public struct SelfCheckFailed: Error {}

    /// Signs and, as for tokens, verifies the result before it is stored.
    public static func sign(_ body: CheckpointBody, with key: SigningIdentity) throws -> SignedCheckpoint {
        let signature = key.signingKey.signature(for: Array(body.signedText.utf8))
        let checkpoint = SignedCheckpoint(body: body, keyID: key.publicKey.id, signature: signature)
        guard (try? check(checkpoint, ledgerID: body.ledgerID, key: key.publicKey)) != nil,
              try SignedCheckpoint(parsing: checkpoint.text) == checkpoint else { throw SelfCheckFailed() }
        return checkpoint
    }

    /// Ledger id and key id first (cheap, and the clearer message), then the signature.
    public static func check(_ checkpoint: SignedCheckpoint, ledgerID: String, key: PublicKey,
                             verifySignature: Bool = true) throws {
        try checkNames(checkpoint, ledgerID: ledgerID, keyID: key.id)
        if verifySignature, !key.key.isValidSignature(checkpoint.signature, for: Array(checkpoint.body.signedText.utf8)) {
            throw Problem.badSignature
        }
    }

    public static func checkNames(_ checkpoint: SignedCheckpoint, ledgerID: String, keyID: KeyID) throws {
        guard checkpoint.body.ledgerID == ledgerID else {
            throw Problem.otherLedger(found: checkpoint.body.ledgerID, expected: ledgerID)
        }
        guard checkpoint.keyID == keyID else { throw Problem.otherKey(found: checkpoint.keyID, expected: keyID) }
    }
}
