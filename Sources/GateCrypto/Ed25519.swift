import CSodium
import Synchronization

/// Ed25519 signatures (libsodium's crypto_sign). Deterministic: the same seed and message give the
/// same signature, which is what makes golden tests possible.
/// Key, signature and message of the last signatures this process found valid. A run checks a
/// token on its own, then with its request's other decisions; each check is about 60 µs of curve
/// arithmetic on the hot path (BENCHMARKS.md, issue 17). Verification is a function of these
/// bytes alone, so an exact match is the same answer; failures are never remembered.
private let recentlyVerified = Mutex<[[UInt8]]>([])

public enum Ed25519 {
    public static let publicKeyLength = 32
    public static let seedLength = 32
    public static let signatureLength = 64

    public struct PublicKey: Hashable, Sendable {
        public let bytes: [UInt8]
        public init?(bytes: [UInt8]) {
            guard bytes.count == Ed25519.publicKeyLength else { return nil }
            self.bytes = bytes
        }

        /// Verifies a detached signature. libsodium rejects non-canonical and small-order inputs.
        public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
            Sodium.ensureReady()
            guard signature.count == Ed25519.signatureLength else { return false }
            let triple = bytes + signature + message
            if recentlyVerified.withLock({ $0.contains(triple) }) { return true }
            let valid = signature.withUnsafeBufferPointer { sig in
                message.withUnsafeBufferPointer { msg in
                    bytes.withUnsafeBufferPointer { pk in
                        crypto_sign_verify_detached(sig.baseAddress!, msg.baseAddress, UInt64(message.count), pk.baseAddress!) == 0
                    }
                }
            }
            if valid {
                recentlyVerified.withLock { list in
                    if list.count == 16 { list.removeFirst() }
                    list.append(triple)
                }
            }
            return valid
        }
    }

    /// A signing key, held as its 32-byte seed (what gate stores, encrypted, in key files).
    public struct SigningKey: Sendable {
        public let seed: [UInt8]
        public let publicKey: PublicKey
        private let expanded: [UInt8]  // libsodium's 64-byte secret key (seed || public key)

        public init?(seed: [UInt8]) {
            Sodium.ensureReady()
            guard seed.count == Ed25519.seedLength else { return nil }
            var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
            var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
            let rc = seed.withUnsafeBufferPointer { s in
                crypto_sign_seed_keypair(&pk, &sk, s.baseAddress!)
            }
            guard rc == 0, let publicKey = PublicKey(bytes: pk) else { return nil }
            self.seed = seed
            self.expanded = sk
            self.publicKey = publicKey
        }

        /// A key from its seed and the public key recorded beside it, without deriving the public
        /// key from the seed (a scalar multiplication: ~0.37 M instructions, a tenth of a
        /// checkpoint's cost on the run's hot path, issue 17). A seed that is not the recorded
        /// key's makes signatures that do not verify under it, so this is only for a signer that
        /// verifies each signature it makes before using it (CheckpointSigning.sign does).
        public init?(seed: [UInt8], unverifiedPublicKey: PublicKey) {
            Sodium.ensureReady()
            guard seed.count == Ed25519.seedLength else { return nil }
            self.seed = seed
            self.expanded = seed + unverifiedPublicKey.bytes
            self.publicKey = unverifiedPublicKey
        }

        public static func generate() -> SigningKey {
            SigningKey(seed: SecureRandom.bytes(Ed25519.seedLength))!
        }

        public func signature(for message: [UInt8]) -> [UInt8] {
            var sig = [UInt8](repeating: 0, count: Ed25519.signatureLength)
            _ = message.withUnsafeBufferPointer { msg in
                crypto_sign_detached(&sig, nil, msg.baseAddress, UInt64(message.count), expanded)
            }
            return sig
        }
    }
}
