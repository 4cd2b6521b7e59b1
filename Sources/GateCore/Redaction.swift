import GateCrypto
import GateWire

/// Values of environment variables as gate stores and shows them (SPEC.md §2.1): a secret-looking
/// variable's value, and the credentials inside a URL, are replaced by a keyed BLAKE2b-256 hash
/// (`redacted:KEYID:HEX`), so an auditor can tell two requests used the same value without
/// anyone seeing it (Vault's audit-device idea). The key is the host's redaction key.
public struct Redactor: Sendable {
    public let key: [UInt8]
    /// 8 uppercase hex digits naming the key (not derived in a way that reveals it).
    public let keyID: String

    public init?(key: [UInt8]) {
        guard key.count == 32 else { return nil }
        self.key = key
        keyID = Hex.encode(Array(BLAKE2b.hash(Array("gate redaction key id".utf8), key: key).prefix(4)), uppercase: true)
    }

    static let secretWords = ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "KEY", "CREDENTIAL", "AUTH", "PRIVATE", "SESSION", "COOKIE"]

    /// `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*KEY*` and their kin, case-insensitively.
    public static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        return secretWords.contains { TextSearch.contains($0, in: upper) }
    }

    public func hashed(_ value: String) -> String {
        "redacted:\(keyID):" + Hex.encode(BLAKE2b.hash(Array("gate-env-v1\u{0}".utf8) + Array(value.utf8), key: key))
    }

    /// The value as gate may store and show it, and whether anything was redacted.
    public func shown(name: String, value: String) -> (value: String, redacted: Bool) {
        if Self.isSecretName(name) { return (hashed(value), true) }
        if let cleaned = redactingURLCredentials(value) { return (cleaned, true) }
        return (value, false)
    }

    /// `scheme://user:password@host…` → `scheme://redacted:KEYID:HEX@host…` (the whole user-info,
    /// which is where tokens go too); nil when there is none.
    func redactingURLCredentials(_ value: String) -> String? {
        guard let scheme = TextSearch.firstRange(of: "://", in: value) else { return nil }
        let rest = value[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return nil }
        let userinfo = String(rest[rest.startIndex..<at])
        return String(value[..<scheme.upperBound]) + hashed(userinfo) + String(rest[at...])
    }
}
