/// A key id: 8 bytes naming an Ed25519 public key (the first 8 bytes of its BLAKE2b-256 digest,
/// SPEC.md §3). Shown as 16 uppercase hex digits. Like minisign, tokens carry the signer's key id
/// so a mismatch is reported before any cryptography is attempted.
public struct KeyID: Hashable, Sendable, CustomStringConvertible {
    public static let length = 8
    public static let algorithmTag = Array("Ed".utf8)
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.length else { return nil }
        self.bytes = bytes
    }

    public init?(hex: String) {
        guard let b = try? Hex.decode(hex), let id = KeyID(bytes: b) else { return nil }
        self = id
    }

    public var description: String { Hex.encode(bytes, uppercase: true) }
}

/// Public key text form: `gatepk1:` + base64url("Ed" || key id || public key), one word that can be
/// pasted into a policy file. The key id inside is checked against the key when parsed (in
/// GateCore, which has the hash), so a mangled line is caught as a mangled line.
public struct PublicKeyText: Equatable, Sendable {
    public static let prefix = "gatepk1:"
    public let keyID: KeyID
    public let keyBytes: [UInt8]

    public init(keyID: KeyID, keyBytes: [UInt8]) {
        precondition(keyBytes.count == 32)
        self.keyID = keyID
        self.keyBytes = keyBytes
    }

    public var text: String {
        Self.prefix + Base64URL.encode(KeyID.algorithmTag + keyID.bytes + keyBytes)
    }

    public init(parsing text: String) throws {
        guard text.hasPrefix(Self.prefix) else {
            throw WireError("not a gate public key (expected it to start with '\(Self.prefix)')")
        }
        let raw = try Base64URL.decode(text.dropFirst(Self.prefix.count))
        guard raw.count == 2 + KeyID.length + 32 else { throw WireError("public key has the wrong length") }
        guard Array(raw[0..<2]) == KeyID.algorithmTag else { throw WireError("unknown public key algorithm") }
        keyID = KeyID(bytes: Array(raw[2..<10]))!
        keyBytes = Array(raw[10...])
    }
}

/// The secret key file (SPEC.md §3): UTF-8 text, one `field: value` per line, fields in this exact
/// order, nothing else. The seed is sealed with secretbox under an Argon2id-derived key, or stored
/// in clear when `kdf: none` (robots and tests; gate warns when it writes one).
public struct SecretKeyFile: Equatable, Sendable {
    public static let header = "gate secret key v1"

    public enum KDF: Equatable, Sendable {
        case none
        case argon2id(opsLimit: UInt64, memLimit: UInt64, salt: [UInt8])
    }

    public var name: String
    public var keyID: KeyID
    public var publicKey: PublicKeyText
    public var kdf: KDF
    public var nonce: [UInt8]   // 24 bytes when sealed, empty with kdf none
    public var secret: [UInt8]  // sealed seed (48 bytes), or the clear 32-byte seed with kdf none

    public init(name: String, keyID: KeyID, publicKey: PublicKeyText, kdf: KDF, nonce: [UInt8], secret: [UInt8]) {
        self.name = name
        self.keyID = keyID
        self.publicKey = publicKey
        self.kdf = kdf
        self.nonce = nonce
        self.secret = secret
    }

    public var text: String {
        var lines = [Self.header, "name: \(name)", "key-id: \(keyID)", "public-key: \(publicKey.text)"]
        switch kdf {
        case .none:
            lines.append("kdf: none")
        case .argon2id(let ops, let mem, let salt):
            lines += ["kdf: argon2id13", "kdf-ops: \(ops)", "kdf-mem: \(mem)", "kdf-salt: \(Base64URL.encode(salt))",
                      "nonce: \(Base64URL.encode(nonce))"]
        }
        lines.append("secret: \(Base64URL.encode(secret))")
        return lines.joined(separator: "\n") + "\n"
    }

    public init(parsing text: String) throws {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.first == Self.header else {
            throw WireError("not a gate secret key file (first line must be '\(Self.header)')")
        }
        var index = 1
        func field(_ name: String) throws -> String {
            guard index < lines.count else { throw WireError("line \(index + 1): missing '\(name):'") }
            let line = lines[index]
            let prefix = name + ": "
            guard line.hasPrefix(prefix) else { throw WireError("line \(index + 1): expected '\(name):'") }
            index += 1
            return String(line.dropFirst(prefix.count))
        }
        name = try field("name")
        guard let id = KeyID(hex: try field("key-id")) else { throw WireError("line 3: key-id is not 16 hex digits") }
        keyID = id
        publicKey = try PublicKeyText(parsing: try field("public-key"))
        guard publicKey.keyID == keyID else { throw WireError("line 4: public key's key id does not match key-id") }
        switch try field("kdf") {
        case "none":
            kdf = .none
            nonce = []
        case "argon2id13":
            guard let ops = UInt64(try field("kdf-ops")), let mem = UInt64(try field("kdf-mem")) else {
                throw WireError("line \(index): kdf limits must be whole numbers")
            }
            let salt = try Base64URL.decode(try field("kdf-salt"))
            guard salt.count == 16 else { throw WireError("line \(index): kdf-salt must be 16 bytes") }
            kdf = .argon2id(opsLimit: ops, memLimit: mem, salt: salt)
            nonce = try Base64URL.decode(try field("nonce"))
            guard nonce.count == 24 else { throw WireError("line \(index): nonce must be 24 bytes") }
        default:
            throw WireError("line \(index): unknown kdf (expected 'argon2id13' or 'none')")
        }
        secret = try Base64URL.decode(try field("secret"))
        guard secret.count == (kdf == .none ? 32 : 48) else { throw WireError("line \(index): secret has the wrong length") }
        guard index == lines.count else { throw WireError("line \(index + 1): unexpected content after 'secret:'") }
    }
}
