import GateCrypto
import GateWire

/// An approver's public key, checked: its key id is the one derived from the key bytes.
public struct PublicKey: Hashable, Sendable {
    public let id: KeyID
    public let key: Ed25519.PublicKey

    public static func keyID(for key: Ed25519.PublicKey) -> KeyID {
        KeyID(bytes: Array(BLAKE2b.hash(key.bytes).prefix(KeyID.length)))!
    }

    public init(_ key: Ed25519.PublicKey) {
        self.key = key
        self.id = Self.keyID(for: key)
    }

    /// Parses `gatepk1:…`, refusing a key whose embedded key id does not match its bytes.
    public init(text: String) throws {
        let wire = try PublicKeyText(parsing: text)
        guard let key = Ed25519.PublicKey(bytes: wire.keyBytes) else { throw WireError("public key has the wrong length") }
        guard Self.keyID(for: key) == wire.keyID else {
            throw WireError("public key is damaged (its key id does not match the key)")
        }
        self.init(key)
    }

    public var text: String { PublicKeyText(keyID: id, keyBytes: key.bytes).text }
}

/// A secret signing key with its name and key id, unlocked from a key file.
public struct SigningIdentity: Sendable {
    public let name: String
    public let signingKey: Ed25519.SigningKey
    public let publicKey: PublicKey

    public init(name: String, signingKey: Ed25519.SigningKey) {
        self.name = name
        self.signingKey = signingKey
        self.publicKey = PublicKey(signingKey.publicKey)
    }

    public static func generate(name: String) -> SigningIdentity {
        SigningIdentity(name: name, signingKey: .generate())
    }
}

public enum KeyFileError: Error, Equatable {
    case malformed(String)
    case wrongPassphrase
    case passphraseRequired
    case inconsistent(String)
}

extension SigningIdentity {
    /// Seals the key into the key file format. `passphrase == nil` writes an unencrypted key.
    public func keyFile(passphrase: [UInt8]?, opsLimit: UInt64 = PasswordHash.interactiveOpsLimit,
                        memLimit: UInt64 = PasswordHash.interactiveMemLimit) throws -> SecretKeyFile {
        let pkText = PublicKeyText(keyID: publicKey.id, keyBytes: publicKey.key.bytes)
        guard let passphrase else {
            return SecretKeyFile(name: name, keyID: publicKey.id, publicKey: pkText, kdf: .none, nonce: [], secret: signingKey.seed)
        }
        let salt = SecureRandom.bytes(PasswordHash.saltLength)
        let nonce = SecureRandom.bytes(SecretBox.nonceLength)
        let boxKey = try PasswordHash.argon2id(passphrase: passphrase, salt: salt, opsLimit: opsLimit, memLimit: memLimit)
        let sealed = SecretBox.seal(signingKey.seed, key: boxKey, nonce: nonce)
        return SecretKeyFile(name: name, keyID: publicKey.id, publicKey: pkText,
                             kdf: .argon2id(opsLimit: opsLimit, memLimit: memLimit, salt: salt), nonce: nonce, secret: sealed)
    }

    /// Opens a key file. `passphrase` is asked for lazily, only when the file is encrypted.
    public init(keyFile: SecretKeyFile, passphrase: () throws -> [UInt8]) throws {
        let seed: [UInt8]
        switch keyFile.kdf {
        case .none:
            seed = keyFile.secret
        case .argon2id(let ops, let mem, let salt):
            guard ops <= PasswordHash.maxOpsLimit, mem <= PasswordHash.maxMemLimit else {
                throw KeyFileError.malformed("key file asks for Argon2id limits beyond what gate accepts")
            }
            let pw = try passphrase()
            let boxKey: [UInt8]
            do { boxKey = try PasswordHash.argon2id(passphrase: pw, salt: salt, opsLimit: ops, memLimit: mem) } catch {
                throw KeyFileError.malformed("key file's Argon2id parameters are invalid")
            }
            guard let opened = SecretBox.open(keyFile.secret, key: boxKey, nonce: keyFile.nonce) else {
                throw KeyFileError.wrongPassphrase
            }
            seed = opened
        }
        guard let key = Ed25519.SigningKey(seed: seed) else { throw KeyFileError.malformed("secret has the wrong length") }
        let identity = SigningIdentity(name: keyFile.name, signingKey: key)
        // The file's public half must be the one the secret derives: catches edited files.
        guard identity.publicKey.id == keyFile.keyID, identity.publicKey.key.bytes == keyFile.publicKey.keyBytes else {
            throw KeyFileError.inconsistent("the secret does not match the public key recorded in the file")
        }
        self = identity
    }

    /// Opens an unencrypted key file trusting its recorded public key instead of deriving it
    /// (Ed25519.SigningKey(seed:unverifiedPublicKey:)): only for a signer that verifies every
    /// signature it makes under that public key, so that a seed edited or damaged apart from its
    /// public half signs nothing that is kept.
    public init(unverifiedKeyFile keyFile: SecretKeyFile) throws {
        guard keyFile.kdf == .none else { throw KeyFileError.passphraseRequired }
        guard let recorded = Ed25519.PublicKey(bytes: keyFile.publicKey.keyBytes),
              let key = Ed25519.SigningKey(seed: keyFile.secret, unverifiedPublicKey: recorded) else {
            throw KeyFileError.malformed("secret has the wrong length")
        }
        let identity = SigningIdentity(name: keyFile.name, signingKey: key)
        guard identity.publicKey.id == keyFile.keyID else {
            throw KeyFileError.inconsistent("the key id does not match the public key recorded in the file")
        }
        self = identity
    }
}
