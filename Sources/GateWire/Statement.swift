/// A requester's signed statement to the server (SPEC.md §9): "create request ID for intent D
/// with body B", "cancel request ID", "here is my ledger's checkpoint". Requests are signed so
/// that the server relays and stores them but can neither forge nor alter one, and so that
/// only requesters registered in the server's policy can create work for approvers.
///
/// Text form: `gatereq1.` + base64url(payload) + `.` + base64url(signature), the signature
/// being Ed25519 over the payload bytes (the canonical encoding below). Wire format only:
/// signing and verification live in GateCore.
public struct StatementPayload: Equatable, Sendable {
    public static let magic = Array("gatereq1".utf8)
    public static let textPrefix = "gatereq1."

    public enum Action: UInt8, Sendable { case create = 1, cancel = 2, checkpoint = 3 }

    public var keyID: KeyID
    public var action: Action
    public var requestID: String
    /// The intent digest of the request (zeros for a checkpoint).
    public var intentDigest: [UInt8]
    /// BLAKE2b-256 of the body bytes sent with the statement (zeros when there is none).
    public var bodyDigest: [UInt8]
    public var issuedAt: UInt64  // Unix seconds
    public var nonce: [UInt8]    // 16 random bytes

    public init(keyID: KeyID, action: Action, requestID: String, intentDigest: [UInt8], bodyDigest: [UInt8],
                issuedAt: UInt64, nonce: [UInt8]) {
        self.keyID = keyID
        self.action = action
        self.requestID = requestID
        self.intentDigest = intentDigest
        self.bodyDigest = bodyDigest
        self.issuedAt = issuedAt
        self.nonce = nonce
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.fixed(Self.magic)
        w.fixed(KeyID.algorithmTag)
        w.fixed(keyID.bytes)
        w.u8(action.rawValue)
        w.string(requestID)
        w.fixed(intentDigest)
        w.fixed(bodyDigest)
        w.u64(issuedAt)
        w.fixed(nonce)
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        guard try r.fixed(8) == Self.magic else { throw WireError("unknown statement version") }
        guard try r.fixed(2) == KeyID.algorithmTag else { throw WireError("unknown signature algorithm") }
        keyID = KeyID(bytes: try r.fixed(KeyID.length))!
        guard let a = Action(rawValue: try r.u8()) else { throw WireError("unknown statement action") }
        action = a
        requestID = try r.string(max: 64)
        intentDigest = try r.fixed(32)
        bodyDigest = try r.fixed(32)
        issuedAt = try r.u64()
        nonce = try r.fixed(16)
        try r.finish()
    }
}

/// A statement as it travels: payload plus signature, with its strict text form.
public struct SignedStatement: Equatable, Sendable {
    public let payloadBytes: [UInt8]
    public let payload: StatementPayload
    public let signature: [UInt8]

    public init(payloadBytes: [UInt8], signature: [UInt8]) throws {
        guard signature.count == 64 else { throw WireError("signature must be 64 bytes") }
        self.payloadBytes = payloadBytes
        self.payload = try StatementPayload(decoding: payloadBytes)
        self.signature = signature
    }

    public var text: String {
        SignedText.encode(prefix: StatementPayload.textPrefix, payload: payloadBytes, signature: signature)
    }

    public init(text: String) throws {
        guard text.utf8.count <= 1024 else { throw WireError("statement is too long") }
        guard text.hasPrefix(StatementPayload.textPrefix) else {
            throw WireError("not a gate request statement (expected it to start with 'gatereq1.')")
        }
        let (payload, signature) = try SignedText.decode(text, prefix: StatementPayload.textPrefix, what: "statement")
        try self.init(payloadBytes: payload, signature: signature)
    }
}
