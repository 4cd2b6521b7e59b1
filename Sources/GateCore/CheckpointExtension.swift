import GateWire

/// A checkpoint copy that claims to extend the one a gate server holds for a ledger (SPEC.md
/// §9.3, issue 18 finding 1): it carries the entries after the held size, and they must chain
/// from the held head, entry by entry (each hash recomputed, each link checked), to exactly the
/// new checkpoint's size and head. Without this a host that rewrote its ledger and re-signed it
/// under its own key could replace the server's copy with a larger one of another history.
public enum CheckpointExtension {
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        /// An entry does not hash, link or follow in order from the held copy.
        case broken(ChainVerifier.Damage)
        /// The entries end before (or after) the new checkpoint's size.
        case wrongEnd(entries: Int64, size: Int64)
        /// The entries reach the size but not the head the new checkpoint signs.
        case otherHead(size: Int64)

        public var description: String {
            switch self {
            case .broken(let d): return "its entries do not extend the copy held: \(d)"
            case .wrongEnd(let n, let s): return "its entries end at \(n), the checkpoint covers \(s)"
            case .otherHead(let s): return "its entries reach entry \(s) with another head than the checkpoint signs"
            }
        }
    }

    /// nil when `entries` lead from (`heldSize`, `heldHead`) to (`size`, `head`).
    public static func problem(heldSize: Int64, heldHead: [UInt8], entries: [LedgerEntry], size: Int64, head: [UInt8]) -> Problem? {
        var chain = ChainVerifier(count: heldSize, head: heldHead)
        for e in entries {
            if let d = chain.add(e) { return .broken(d) }
        }
        guard chain.count == size else { return .wrongEnd(entries: chain.count, size: size) }
        guard chain.head == head else { return .otherHead(size: size) }
        return nil
    }
}
