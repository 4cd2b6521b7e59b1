import CSodium

/// XSalsa20-Poly1305 authenticated encryption (crypto_secretbox_easy), used for secret key files.
public enum SecretBox {
    public static let keyLength = Int(crypto_secretbox_KEYBYTES)      // 32
    public static let nonceLength = Int(crypto_secretbox_NONCEBYTES)  // 24
    public static let tagLength = Int(crypto_secretbox_MACBYTES)      // 16

    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8]) -> [UInt8] {
        Sodium.ensureReady()
        precondition(key.count == keyLength && nonce.count == nonceLength)
        var out = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        _ = crypto_secretbox_easy(&out, plaintext, UInt64(plaintext.count), nonce, key)
        return out
    }

    /// nil when the ciphertext was not produced under this key and nonce (wrong passphrase, or damage).
    public static func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8]) -> [UInt8]? {
        Sodium.ensureReady()
        guard key.count == keyLength, nonce.count == nonceLength, ciphertext.count >= tagLength else { return nil }
        var out = [UInt8](repeating: 0, count: ciphertext.count - tagLength)
        let rc = crypto_secretbox_open_easy(&out, ciphertext, UInt64(ciphertext.count), nonce, key)
        return rc == 0 ? out : nil
    }
}

/// Argon2id passphrase hashing (crypto_pwhash), to derive a secret-key-file encryption key.
public enum PasswordHash {
    public static let saltLength = Int(crypto_pwhash_SALTBYTES)  // 16
    public static var interactiveOpsLimit: UInt64 { UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE) }
    public static var interactiveMemLimit: UInt64 { UInt64(crypto_pwhash_MEMLIMIT_INTERACTIVE) }
    /// Upper bounds accepted when reading a key file, so a hostile file cannot make gate
    /// allocate gigabytes or spin for minutes.
    public static let maxOpsLimit: UInt64 = 64
    public static let maxMemLimit: UInt64 = 1 << 30

    public struct Failure: Error {}

    public static func argon2id(passphrase: [UInt8], salt: [UInt8], opsLimit: UInt64, memLimit: UInt64,
                                length: Int = 32) throws -> [UInt8] {
        Sodium.ensureReady()
        guard salt.count == saltLength, opsLimit >= 1, opsLimit <= maxOpsLimit, memLimit <= maxMemLimit else {
            throw Failure()
        }
        var out = [UInt8](repeating: 0, count: length)
        let pw = passphrase.map { CChar(bitPattern: $0) } + [0]  // never empty, so never a nil pointer
        let rc = crypto_pwhash(&out, UInt64(length), pw, UInt64(passphrase.count), salt,
                               opsLimit, Int(memLimit), crypto_pwhash_ALG_ARGON2ID13)
        guard rc == 0 else { throw Failure() }
        return out
    }
}
