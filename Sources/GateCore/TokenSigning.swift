import GateCrypto
import GateWire

public enum TokenSigning {
    public struct SelfCheckFailed: Error {}

    /// Signs a payload and, as minisign does, verifies the result before handing it out: a token
    /// that does not verify under the signer's own public key is never stored or printed.
    public static func sign(_ payload: TokenPayload, with identity: SigningIdentity) throws -> SignedToken {
        precondition(payload.keyID == identity.publicKey.id, "payload names another key")
        let bytes = payload.encoded()
        let signature = identity.signingKey.signature(for: bytes)
        let token = try SignedToken(payloadBytes: bytes, signature: signature)
        guard identity.publicKey.key.isValidSignature(token.signature, for: token.payloadBytes),
              try SignedToken(text: token.text) == token else { throw SelfCheckFailed() }
        return token
    }

    /// The single-use identity of a token: BLAKE2b-256 of its signed payload. The signature is left
    /// out so that no re-encoding of a signature can make a used token look new.
    public static func useID(of token: SignedToken) -> [UInt8] {
        BLAKE2b.hash(token.payloadBytes)
    }
}
