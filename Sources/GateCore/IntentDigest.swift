import GateCrypto
import GateWire

/// BLAKE2b-256 over the canonical intent encoding (SPEC.md §2).
public struct IntentDigest: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        self.bytes = bytes
    }

    public init(_ intent: Intent) {
        bytes = BLAKE2b.hash(intent.encoded())
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
    /// The first 12 hex digits, for one-line displays.
    public var short: String { String(hex.prefix(12)) }
}
