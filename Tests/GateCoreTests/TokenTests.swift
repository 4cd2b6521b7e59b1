import GateCore
import GateCrypto
import GateWire
import Testing

@Suite struct TokenTests {
    static func identity(_ v: Vector) -> SigningIdentity {
        SigningIdentity(name: "golden", signingKey: Ed25519.SigningKey(seed: hexBytes(v.one("seed")))!)
    }

    static func payload(_ v: Vector, keyID: KeyID) -> TokenPayload {
        TokenPayload(keyID: keyID, requestID: v.one("request-id"), intentDigest: hexBytes(v.one("intent-digest")),
                     decision: v.one("decision") == "approve" ? .approve : .deny, issuedAt: UInt64(v.one("issued-at"))!,
                     expiresAt: UInt64(v.one("expires-at"))!, nonce: hexBytes(v.one("nonce")), comment: v.one("comment"))
    }

    @Test("golden tokens: fixed key and fields give exactly the expected text", arguments: try Vector.all(in: "token").filter { $0.expect.hasPrefix("token ") })
    func golden(_ v: Vector) throws {
        let id = Self.identity(v)
        #expect(id.publicKey.text == v.one("public-key"))
        #expect(id.publicKey.id.description == v.one("key-id"))
        let token = try TokenSigning.sign(Self.payload(v, keyID: id.publicKey.id), with: id)
        #expect("token " + token.text == v.expect)
        // Strict decode → encode is the identity.
        let parsed = try SignedToken(text: String(v.expect.dropFirst(6)))
        #expect(parsed.text == String(v.expect.dropFirst(6)))
        #expect(parsed == token)
    }

    @Test("malformed tokens are refused with a specific reason", arguments: try Vector.all(in: "token").filter { $0.expect.hasPrefix("error ") })
    func malformed(_ v: Vector) throws {
        let want = String(v.expect.dropFirst(6))
        do {
            _ = try SignedToken(text: v.one("text"))
            Issue.record("\(v.name): accepted a malformed token")
        } catch let e as WireError {
            #expect(e.description.contains(want), "\(v.name): got '\(e.description)', want '\(want)'")
        }
    }

    @Test func publicKeyTextRoundTripsAndCatchesDamage() throws {
        let id = SigningIdentity.generate(name: "x")
        let text = id.publicKey.text
        #expect(try PublicKey(text: text) == id.publicKey)
        // Flip one character of the key part: the embedded key id no longer matches.
        var chars = Array(text)
        let i = chars.count - 5
        chars[i] = chars[i] == "A" ? "B" : "A"
        #expect(throws: WireError.self) { try PublicKey(text: String(chars)) }
        #expect(throws: WireError.self) { try PublicKey(text: "ssh-ed25519 AAAA") }
    }

    @Test func secretKeyFileRoundTripWithPassphrase() throws {
        let id = SigningIdentity.generate(name: "alice")
        let file = try id.keyFile(passphrase: Array("correct horse".utf8), opsLimit: 1, memLimit: 8192)
        let parsed = try SecretKeyFile(parsing: file.text)
        #expect(parsed.text == file.text)
        let opened = try SigningIdentity(keyFile: parsed) { Array("correct horse".utf8) }
        #expect(opened.publicKey == id.publicKey)
        #expect(throws: KeyFileError.wrongPassphrase) { try SigningIdentity(keyFile: parsed) { Array("wrong".utf8) } }
    }

    @Test func secretKeyFileRefusesEditsAndUnknownContent() throws {
        let id = SigningIdentity.generate(name: "bob")
        let text = try id.keyFile(passphrase: nil).text
        #expect(throws: WireError.self) { try SecretKeyFile(parsing: text + "extra: 1\n") }
        #expect(throws: WireError.self) { try SecretKeyFile(parsing: text.replacingOccurrences(of: "kdf: none", with: "kdf: scrypt")) }
        #expect(throws: WireError.self) { try SecretKeyFile(parsing: "-----BEGIN OPENSSH PRIVATE KEY-----\n") }
        // Another key's public half pasted in: caught on opening.
        let other = SigningIdentity.generate(name: "eve")
        var file = try SecretKeyFile(parsing: text)
        file.publicKey = PublicKeyText(keyID: other.publicKey.id, keyBytes: other.publicKey.key.bytes)
        file.keyID = other.publicKey.id
        #expect(throws: KeyFileError.self) { try SigningIdentity(keyFile: file) { [] } }
    }

    @Test func base64URLIsStrict() throws {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(try Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
        #expect(throws: WireError.self) { try Base64URL.decode("A") }
        #expect(throws: WireError.self) { try Base64URL.decode("AB") }  // trailing bits set
        #expect(throws: WireError.self) { try Base64URL.decode("QQ==") }
        #expect(throws: WireError.self) { try Base64URL.decode("a b") }
    }
}
