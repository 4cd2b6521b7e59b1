import CZlib

/// zlib (RFC 1950) compression for stored context: a 5 MB plan is text and shrinks several
/// times. The one module that imports zlib; a typed API with no C types in it.
public enum Deflate {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Level 1: fast enough for the request path (a provider's 5 MB in tens of milliseconds).
    public static func compress(_ input: [UInt8], level: Int32 = 1) throws -> [UInt8] {
        var length = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let rc = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in compress2(o.baseAddress, &length, i.baseAddress, uLong(i.count), level) }
        }
        guard rc == Z_OK else { throw Failure(description: "zlib compress failed (\(rc))") }
        out.removeSubrange(Int(length)...)
        return out
    }

    /// `size` is the original length, stored beside the data; anything else is damage.
    public static func decompress(_ input: [UInt8], size: Int) throws -> [UInt8] {
        guard size >= 0, size <= 1 << 30 else { throw Failure(description: "implausible size \(size)") }
        var length = uLong(size)
        var out = [UInt8](repeating: 0, count: max(size, 1))
        let rc = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in uncompress(o.baseAddress, &length, i.baseAddress, uLong(i.count)) }
        }
        guard rc == Z_OK, Int(length) == size else { throw Failure(description: "stored context is damaged (zlib \(rc))") }
        if size == 0 { return [] }
        return out
    }
}
