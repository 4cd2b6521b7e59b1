import GateWire

/// Walks a ledger and its checkpoints together, streaming (SPEC.md §6.3): entries in seq order
/// through the chain verifier, checkpoints in size order, each checkpoint compared with the chain
/// the moment the walk reaches its size. One valid, consistent checkpoint vouches for every entry
/// up to it (the head hash commits to the prefix), so by default only the newest checkpoint's
/// signature is verified; the others are checked for ledger id, key id and head. `allSignatures`
/// verifies every one.
public struct LedgerAudit: Sendable {
    public enum Damage: Error, Equatable, Sendable, CustomStringConvertible {
        case chain(ChainVerifier.Damage)
        /// A checkpoint that does not parse, or whose row disagrees with its text.
        case malformedCheckpoint(size: Int64, String)
        /// A checkpoint for another ledger, by another key, or with a bad signature.
        case forgedCheckpoint(size: Int64, CheckpointSigning.Problem)
        /// The chain's hash at `size` is not the one the checkpoint signed: history was rewritten.
        case rewritten(size: Int64, signedAt: Int64)
        /// The ledger is shorter than a checkpoint says it was: its tail was removed.
        case tailRemoved(entries: Int64, size: Int64, signedAt: Int64)
        /// A start records an approval the policy in force did not allow (ApprovalAudit).
        case approval(ApprovalAudit.Problem)

        /// What to do next, for the person reading the report.
        public func hint(verified: Int64) -> String {
            switch self {
            case .chain: return "entries 1–\(verified) verify; keep the database for investigation"
            case .rewritten: return "the chain is consistent but not the one that was signed; compare with an export or backup to find the changed entries"
            case .tailRemoved: return "entries 1–\(verified) verify; restore the removed entries from a backup or an export"
            case .malformedCheckpoint, .forgedCheckpoint: return "the checkpoints table was altered; keep the database for investigation"
            case .approval: return "the chain is whole but an entry in it records an approval no policy on record allowed: it was written by something other than gate; keep the database for investigation"
            }
        }

        /// The first entry (or checkpoint size) the damage concerns.
        public var seq: Int64 {
            switch self {
            case .chain(let d): return d.seq
            case .malformedCheckpoint(let s, _), .forgedCheckpoint(let s, _), .rewritten(let s, _): return s
            case .tailRemoved(let n, _, _): return n + 1
            case .approval(let p): return p.seq
            }
        }

        public var description: String {
            switch self {
            case .chain(let d): return d.description
            case .malformedCheckpoint(let s, let m): return "checkpoint at size \(s) is malformed: \(m)"
            case .forgedCheckpoint(let s, let p): return "checkpoint at size \(s) is not genuine: \(p)"
            case .rewritten(let s, let t):
                return "entries 1–\(s) do not hash to the head signed in the checkpoint of \(formatUTC(UInt64(max(0, t) / 1_000_000))): history rewritten"
            case .approval(let p): return p.description
            case .tailRemoved(let n, let s, let t):
                return "the ledger ends at entry \(n) but the checkpoint of \(formatUTC(UInt64(max(0, t) / 1_000_000))) covers \(s): \(s == n + 1 ? "entry \(s) was" : "entries \(n + 1)–\(s) were") removed"
            }
        }
    }

    public let ledgerID: String
    public let key: PublicKey?
    public let allSignatures: Bool
    /// The size of the newest checkpoint in the ledger's own table: its signature is always checked.
    public let newestSize: Int64?

    public private(set) var chain = ChainVerifier()
    public private(set) var checkpoints: Int64 = 0
    public private(set) var signaturesVerified: Int64 = 0
    public private(set) var newest: SignedCheckpoint?

    public init(ledgerID: String, key: PublicKey?, newestSize: Int64?, allSignatures: Bool = false) {
        self.ledgerID = ledgerID
        self.key = key
        self.newestSize = newestSize
        self.allSignatures = allSignatures
    }

    /// Starts the walk after entry `count` (see ChainVerifier.init(count:head:)).
    public mutating func start(count: Int64, head: [UInt8]) {
        chain = ChainVerifier(count: count, head: head)
    }

    public mutating func add(_ entry: LedgerEntry) -> Damage? {
        chain.add(entry).map(Damage.chain)
    }

    public mutating func add(seq: Int64, storedHash: [UInt8], prevHash: [UInt8], computed: () -> [UInt8]) -> Damage? {
        chain.add(seq: seq, storedHash: storedHash, prevHash: prevHash, computed: computed).map(Damage.chain)
    }

    /// Checks a checkpoint whose size the walk has reached (`size <= chain.count`; callers feed
    /// them in size order after each entry, so the size is exactly the count). `external` ones
    /// (an auditor's copy, the server's) always have their signature verified.
    public mutating func settle(_ checkpoint: SignedCheckpoint, external: Bool = false) -> Damage? {
        let size = checkpoint.body.size
        precondition(size == chain.count, "checkpoints must be settled when the walk reaches their size")
        if let problem = genuineness(checkpoint, verify: external || allSignatures || size == newestSize) {
            return .forgedCheckpoint(size: size, problem)
        }
        guard checkpoint.body.head == chain.head else { return .rewritten(size: size, signedAt: checkpoint.body.timeMicros) }
        checkpoints += 1
        if newest.map({ $0.body.size <= size }) ?? true { newest = checkpoint }
        return nil
    }

    /// A checkpoint left over when the entries ran out: the tail it covered is gone (if the
    /// checkpoint is genuine; a forged one is reported as forged, not as a loss).
    public mutating func leftOver(_ checkpoint: SignedCheckpoint) -> Damage {
        if let problem = genuineness(checkpoint, verify: true) { return .forgedCheckpoint(size: checkpoint.body.size, problem) }
        return .tailRemoved(entries: chain.count, size: checkpoint.body.size, signedAt: checkpoint.body.timeMicros)
    }

    private mutating func genuineness(_ checkpoint: SignedCheckpoint, verify: Bool) -> CheckpointSigning.Problem? {
        guard let key else { return .noLedgerKey(found: checkpoint.keyID) }
        do {
            try CheckpointSigning.check(checkpoint, ledgerID: ledgerID, key: key, verifySignature: verify)
        } catch let p as CheckpointSigning.Problem {
            return p
        } catch {
            return .badSignature
        }
        if verify { signaturesVerified += 1 }
        return nil
    }
}
