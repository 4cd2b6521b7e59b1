/// The canonical binary encoding every signed or hashed gate structure uses (SPEC.md §1):
/// big-endian fixed-width integers, byte strings as a u32 length followed by the bytes, lists as a
/// u32 count followed by the items. One value has exactly one encoding, so a digest or signature
/// over the encoding is a digest or signature over the value.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    public mutating func u64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    /// Raw bytes with no length prefix: only for fixed-size fields (magic, digests, nonces).
    public mutating func fixed(_ v: [UInt8]) { bytes.append(contentsOf: v) }

    public mutating func data(_ v: [UInt8]) {
        u32(UInt32(v.count))
        bytes.append(contentsOf: v)
    }

    public mutating func string(_ s: String) { data(Array(s.utf8)) }
}

public struct WireError: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Strict reader for the canonical encoding: every read is bounds-checked, lengths are capped,
/// and `finish()` refuses trailing bytes.
public struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0
    public static let maxFieldLength = 1 << 24

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var remaining: Int { bytes.count - offset }

    public mutating func u8() throws -> UInt8 {
        guard remaining >= 1 else { throw WireError("truncated") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u32() throws -> UInt32 {
        guard remaining >= 4 else { throw WireError("truncated") }
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }

    public mutating func u64() throws -> UInt64 {
        guard remaining >= 8 else { throw WireError("truncated") }
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }

    public mutating func fixed(_ count: Int) throws -> [UInt8] {
        guard remaining >= count else { throw WireError("truncated") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    public mutating func data(max: Int = ByteReader.maxFieldLength) throws -> [UInt8] {
        let count = Int(try u32())
        guard count <= max else { throw WireError("field of \(count) bytes exceeds the limit of \(max)") }
        return try fixed(count)
    }

    /// A UTF-8 string; invalid UTF-8 is refused rather than repaired.
    public mutating func string(max: Int = ByteReader.maxFieldLength) throws -> String {
        let raw = try data(max: max)
        guard let s = String(validating: raw, as: UTF8.self) else { throw WireError("invalid UTF-8") }
        return s
    }

    public mutating func count(max: Int) throws -> Int {
        let n = Int(try u32())
        guard n <= max else { throw WireError("list of \(n) items exceeds the limit of \(max)") }
        return n
    }

    public func finish() throws {
        guard remaining == 0 else { throw WireError("\(remaining) trailing bytes") }
    }
}
