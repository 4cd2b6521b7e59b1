import GateCrypto
import GateWire

/// One row of the audit ledger (SPEC.md §6). The hash covers every other field and the previous
/// row's hash, so changing, removing or reordering any row breaks the chain from there on.
public struct LedgerEntry: Equatable, Sendable {
    public static let magic = Array("gateled1".utf8)
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    public var seq: Int64
    public var timeMicros: Int64
    public var kind: String
    public var requestID: String
    public var actor: String
    /// JSON text, hashed exactly as stored.
    public var payload: String
    public var prevHash: [UInt8]
    public var hash: [UInt8]

    public init(seq: Int64, timeMicros: Int64, kind: String, requestID: String, actor: String, payload: String,
                prevHash: [UInt8], hash: [UInt8] = []) {
        self.seq = seq
        self.timeMicros = timeMicros
        self.kind = kind
        self.requestID = requestID
        self.actor = actor
        self.payload = payload
        self.prevHash = prevHash
        self.hash = hash
    }

    public func computedHash() -> [UInt8] {
        var w = ByteWriter()
        w.fixed(Self.magic)
        w.u64(UInt64(bitPattern: seq))
        w.u64(UInt64(bitPattern: timeMicros))
        w.string(kind)
        w.string(requestID)
        w.string(actor)
        w.string(payload)
        w.fixed(prevHash)
        return BLAKE2b.hash(w.bytes)
    }

    /// A new entry linked to `previous` (nil for the first entry), with its hash filled in.
    public static func next(after previous: (seq: Int64, hash: [UInt8])?, timeMicros: Int64, kind: String,
                            requestID: String, actor: String, payload: String) -> LedgerEntry {
        var e = LedgerEntry(seq: (previous?.seq ?? 0) + 1, timeMicros: timeMicros, kind: kind, requestID: requestID,
                            actor: actor, payload: payload, prevHash: previous?.hash ?? genesisHash)
        e.hash = e.computedHash()
        return e
    }
}

/// Walks a ledger one entry at a time (so a million rows need no more memory than one) and
/// reports the first damage it finds.
public struct ChainVerifier: Sendable {
    public enum Damage: Equatable, Sendable, CustomStringConvertible {
        case edited(seq: Int64)
        case gap(expected: Int64, found: Int64)
        case brokenLink(seq: Int64)

        public var seq: Int64 {
            switch self {
            case .edited(let s), .brokenLink(let s): return s
            case .gap(let e, _): return e
            }
        }

        public var description: String {
            switch self {
            case .edited(let s): return "entry \(s) does not match its hash (edited, or moved from another position)"
            case .gap(let e, let f): return "entry \(e) is missing (next entry is \(f)): entries were deleted or reordered"
            case .brokenLink(let s): return "entry \(s) does not link to the entry before it (entries deleted, inserted or reordered)"
            }
        }
    }

    public private(set) var count: Int64 = 0
    public private(set) var head: [UInt8] = LedgerEntry.genesisHash

    public init() {}

    public mutating func add(_ e: LedgerEntry) -> Damage? {
        guard e.seq == count + 1 else { return .gap(expected: count + 1, found: e.seq) }
        guard e.computedHash() == e.hash else { return .edited(seq: e.seq) }
        guard e.prevHash == head else { return .brokenLink(seq: e.seq) }
        count = e.seq
        head = e.hash
        return nil
    }
}
