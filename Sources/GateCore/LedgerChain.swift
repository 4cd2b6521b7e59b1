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
        var kind = kind, requestID = requestID, actor = actor, payload = payload
        return kind.withUTF8 { k in requestID.withUTF8 { r in actor.withUTF8 { a in payload.withUTF8 { p in
            prevHash.withUnsafeBytes { prev in
                Self.hash(seq: seq, timeMicros: timeMicros, kind: UnsafeRawBufferPointer(k), requestID: UnsafeRawBufferPointer(r),
                          actor: UnsafeRawBufferPointer(a), payload: UnsafeRawBufferPointer(p), prevHash: prev)
            }
        } } } }
    }

    /// The entry hash over raw field bytes (SPEC.md §6), streamed into BLAKE2b: the one
    /// implementation, used for entries in memory and for rows read straight from SQLite. Pass a
    /// `hasher` to reuse one across many entries.
    public static func hash(seq: Int64, timeMicros: Int64, kind: UnsafeRawBufferPointer, requestID: UnsafeRawBufferPointer,
                            actor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, prevHash: UnsafeRawBufferPointer,
                            hasher: BLAKE2b.Hasher? = nil) -> [UInt8] {
        let h = hasher ?? BLAKE2b.Hasher()
        if hasher != nil { h.restart() }
        withUnsafeTemporaryAllocation(byteCount: 24, alignment: 8) { head in
            magic.withUnsafeBytes { head.copyMemory(from: $0) }
            head.storeBytes(of: UInt64(bitPattern: seq).bigEndian, toByteOffset: 8, as: UInt64.self)
            head.storeBytes(of: UInt64(bitPattern: timeMicros).bigEndian, toByteOffset: 16, as: UInt64.self)
            h.update(UnsafeRawBufferPointer(head))
        }
        func string(_ field: UnsafeRawBufferPointer) {
            withUnsafeBytes(of: UInt32(field.count).bigEndian) { h.update($0) }
            h.update(field)
        }
        string(kind)
        string(requestID)
        string(actor)
        string(payload)
        h.update(prevHash)
        return h.finalize()
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

    /// A walk that starts after entry `count`, whose stored hash is `head` (the second half of a
    /// ledger walked in two; the first half checks that entry).
    public init(count: Int64, head: [UInt8]) {
        self.count = count
        self.head = head
    }

    public mutating func add(_ e: LedgerEntry) -> Damage? {
        add(seq: e.seq, storedHash: e.hash, prevHash: e.prevHash) { e.computedHash() }
    }

    /// The same checks for a row whose hash the caller computes (from raw bytes); `computed` is
    /// only called once the seq is known to be the next one.
    public mutating func add(seq: Int64, storedHash: [UInt8], prevHash: [UInt8], computed: () -> [UInt8]) -> Damage? {
        guard seq == count + 1 else { return .gap(expected: count + 1, found: seq) }
        guard computed() == storedHash else { return .edited(seq: seq) }
        guard prevHash == head else { return .brokenLink(seq: seq) }
        count = seq
        head = storedHash
        return nil
    }
}
