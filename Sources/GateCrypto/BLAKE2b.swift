import CSodium

/// BLAKE2b (libsodium's crypto_generichash). gate uses 32-byte outputs everywhere.
public enum BLAKE2b {
    public static let defaultLength = 32

    /// One-shot hash, optionally keyed (the key is 16...64 bytes when present).
    public static func hash(_ message: [UInt8], key: [UInt8]? = nil, length: Int = defaultLength) -> [UInt8] {
        let hasher = Hasher(key: key, length: length)
        hasher.update(message)
        return hasher.finalize()
    }

    /// Streaming hasher, for files and for hashing a structure without building one buffer.
    public final class Hasher {
        private let state: UnsafeMutableRawPointer
        private let length: Int
        private var finished = false

        public init(key: [UInt8]? = nil, length: Int = BLAKE2b.defaultLength) {
            Sodium.ensureReady()
            precondition(length >= Int(crypto_generichash_BYTES_MIN) && length <= Int(crypto_generichash_BYTES_MAX))
            self.length = length
            // crypto_generichash_state must be 64-byte aligned.
            state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
            let typed = OpaquePointer(state)  // the aligned C struct imports as an opaque pointer
            if let key, !key.isEmpty {
                precondition(key.count >= Int(crypto_generichash_KEYBYTES_MIN) && key.count <= Int(crypto_generichash_KEYBYTES_MAX))
                _ = key.withUnsafeBufferPointer { crypto_generichash_init(typed, $0.baseAddress, key.count, length) }
            } else {
                _ = crypto_generichash_init(typed, nil, 0, length)
            }
        }

        deinit {
            sodium_memzero(state, crypto_generichash_statebytes())
            state.deallocate()
        }

        public func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        public func update(_ buffer: UnsafeRawBufferPointer) {
            precondition(!finished, "BLAKE2b hasher used after finalize")
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            _ = crypto_generichash_update(OpaquePointer(state),
                                          base.assumingMemoryBound(to: UInt8.self), UInt64(buffer.count))
        }

        /// Starts over (unkeyed), reusing the state: a million entry hashes need no million allocations.
        public func restart() {
            _ = crypto_generichash_init(OpaquePointer(state), nil, 0, length)
            finished = false
        }

        public func finalize() -> [UInt8] {
            precondition(!finished, "BLAKE2b hasher finalized twice")
            finished = true
            var out = [UInt8](repeating: 0, count: length)
            _ = out.withUnsafeMutableBufferPointer {
                crypto_generichash_final(OpaquePointer(state), $0.baseAddress!, length)
            }
            return out
        }
    }
}
