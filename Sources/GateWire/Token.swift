/// An approval or denial, as signed by an approver (SPEC.md §4). This file is the wire format
/// only; signing and verification live in GateCore.
///
/// Text form: `gate1.` + base64url(payload) + `.` + base64url(signature), where the signature is
/// Ed25519 over the payload bytes, and the payload is the canonical encoding below.
public struct TokenPayload: Equatable, Sendable {
    public static let magic = Array("gatetok1".utf8)
    public static let textPrefix = "gate1."
    public static let maxCommentLength = 1024

    public enum Decision: UInt8, Sendable { case approve = 1, deny = 2 }

    public var keyID: KeyID
    public var requestID: String
    public var intentDigest: [UInt8]
    public var decision: Decision
    public var issuedAt: UInt64   // Unix seconds
    public var expiresAt: UInt64  // Unix seconds
    public var nonce: [UInt8]     // 16 random bytes
    public var comment: String

    public init(keyID: KeyID, requestID: String, intentDigest: [UInt8], decision: Decision, issuedAt: UInt64,
                expiresAt: UInt64, nonce: [UInt8], comment: String) {
        self.keyID = keyID
        self.requestID = requestID
        self.intentDigest = intentDigest
        self.decision = decision
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.nonce = nonce
        self.comment = comment
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.fixed(Self.magic)
        w.fixed(KeyID.algorithmTag)
        w.fixed(keyID.bytes)
        w.string(requestID)
        w.fixed(intentDigest)
        w.u8(decision.rawValue)
        w.u64(issuedAt)
        w.u64(expiresAt)
        w.fixed(nonce)
        w.string(comment)
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        guard try r.fixed(8) == Self.magic else { throw WireError("unknown token version") }
        guard try r.fixed(2) == KeyID.algorithmTag else { throw WireError("unknown signature algorithm") }
        keyID = KeyID(bytes: try r.fixed(KeyID.length))!
        requestID = try r.string(max: 64)
        intentDigest = try r.fixed(32)
        guard let d = Decision(rawValue: try r.u8()) else { throw WireError("unknown decision") }
        decision = d
        issuedAt = try r.u64()
        expiresAt = try r.u64()
        nonce = try r.fixed(16)
        comment = try r.string(max: Self.maxCommentLength)
        try r.finish()
    }
}

/// A token as it travels: payload plus signature, with its strict text form.
public struct SignedToken: Equatable, Sendable {
    public let payloadBytes: [UInt8]
    public let payload: TokenPayload
    public let signature: [UInt8]
    /// The canonical text form, made once (a run compares and records it several times).
    public let text: String

    public init(payloadBytes: [UInt8], signature: [UInt8]) throws {
        guard signature.count == 64 else { throw WireError("signature must be 64 bytes") }
        self.payloadBytes = payloadBytes
        self.payload = try TokenPayload(decoding: payloadBytes)
        self.signature = signature
        self.text = SignedText.encode(prefix: TokenPayload.textPrefix, payload: payloadBytes, signature: signature)
    }

    /// Parses the text form. Leading and trailing whitespace (a pasted newline) is tolerated;
    /// anything else that is not the exact canonical form is refused.
    public init(text raw: String) throws {
        let text = raw.trimmingASCIIWhitespace()
        guard text.utf8.count <= 4096 || text.count <= 4096 else { throw WireError("token is too long") }
        guard text.hasPrefix(TokenPayload.textPrefix) else {
            if text.hasPrefix("gate") && text.contains(".") { throw WireError("unknown token version") }
            throw WireError("not a gate token (expected it to start with 'gate1.')")
        }
        let (payload, signature) = try SignedText.decode(text, prefix: TokenPayload.textPrefix, what: "token")
        try self.init(payloadBytes: payload, signature: signature)
    }
}

extension String {
    public func trimmingASCIIWhitespace() -> String {
        // No Set here: its first use seeds and instantiates hashing, for four bytes.
        func isSpace(_ b: UInt8) -> Bool { b == 9 || b == 10 || b == 13 || b == 32 }
        let u = utf8
        guard let start = u.firstIndex(where: { !isSpace($0) }), let end = u.lastIndex(where: { !isSpace($0) }) else { return "" }
        if start == u.startIndex && u.index(after: end) == u.endIndex { return self }
        return String(decoding: u[start...end], as: UTF8.self)
    }
}
