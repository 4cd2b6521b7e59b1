import CSodium

/// libsodium must be initialised once before use; every entry point of this module calls
/// `Sodium.ensureReady()` (cheap after the first call).
enum Sodium {
    static let initialised: Bool = sodium_init() >= 0

    @inline(__always)
    static func ensureReady() {
        // sodium_init fails only if the system has no usable randomness source. Nothing in gate
        // can be done safely without one, so this is a hard stop, not a recoverable error.
        precondition(initialised, "libsodium could not be initialised")
    }
}

/// Constant-time comparison of two byte strings (lengths are not secret).
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { pa in
        b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 }
    }
}

public enum SecureRandom {
    /// `count` bytes from the operating system's CSPRNG (libsodium's randombytes).
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return out
    }
}
