/// Request ids: 40 random bits as 8 Crockford base32 characters, shown as `7K3F-Q2XZ`.
/// The alphabet has no I, L, O or U, so ids survive being read aloud or retyped; input is
/// case-insensitive, the dash optional, and I/L read as 1, O as 0.
public struct RequestID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    public static let length = 8

    /// The 8 canonical characters, without the dash.
    public let compact: String

    public init(randomBytes: [UInt8]) {
        precondition(randomBytes.count == 5)
        var n: UInt64 = 0
        for b in randomBytes { n = n << 8 | UInt64(b) }
        var chars = [UInt8]()
        for i in stride(from: 35, through: 0, by: -5) { chars.append(Self.alphabet[Int(n >> UInt64(i) & 31)]) }
        compact = String(decoding: chars, as: UTF8.self)
    }

    /// Parses a full id; see `normalise` for prefixes.
    public init?(_ text: String) {
        guard let n = Self.normalise(text), n.count == Self.length else { return nil }
        compact = n
    }

    /// The canonical characters of a full id or of a prefix typed by a person; nil if a character
    /// can't be part of an id.
    public static func normalise(_ text: String) -> String? {
        var out = [UInt8]()
        for c in text.uppercased().utf8 {
            switch c {
            case UInt8(ascii: "-"): continue
            case UInt8(ascii: "I"), UInt8(ascii: "L"): out.append(UInt8(ascii: "1"))
            case UInt8(ascii: "O"): out.append(UInt8(ascii: "0"))
            default:
                guard alphabet.contains(c) else { return nil }
                out.append(c)
            }
        }
        guard !out.isEmpty, out.count <= length else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String {
        "\(compact.prefix(4))-\(compact.suffix(4))"
    }

    public static func < (a: RequestID, b: RequestID) -> Bool { a.compact < b.compact }
}
