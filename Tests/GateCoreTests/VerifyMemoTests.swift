import GateCrypto
import Testing

/// Issue 17: a signature this process found valid is remembered, so a token checked twice on
/// the run path costs one verification. The memory must never turn a different key, signature
/// or message into "valid", and must never remember a failure.
@Suite struct VerifyMemoTests {
    @Test func onlyTheExactTripleThatVerifiedIsRemembered() {
        let key = Ed25519.SigningKey.generate(), other = Ed25519.SigningKey.generate()
        let message = Array("gate token payload".utf8)
        let signature = key.signature(for: message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(key.publicKey.isValidSignature(signature, for: message))  // remembered
        var flipped = signature
        flipped[63] ^= 0x01
        #expect(!key.publicKey.isValidSignature(flipped, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
        #expect(!key.publicKey.isValidSignature(signature, for: Array(message.dropLast())))
        #expect(!other.publicKey.isValidSignature(signature, for: message))
        // A message that is a prefix of another's bytes with the signature moved along: the
        // remembered triple is compared as a whole, not as one concatenation of parts.
        #expect(!key.publicKey.isValidSignature(Array(signature.dropFirst()) + [message[0]], for: Array(message.dropFirst())))
        // Failures are not remembered: the genuine signature still verifies after them.
        #expect(key.publicKey.isValidSignature(signature, for: message))
    }

    @Test func manySignaturesStillVerifyExactly() {
        let key = Ed25519.SigningKey.generate()
        for i in 0..<40 {
            let m = Array("message \(i)".utf8)
            let s = key.signature(for: m)
            #expect(key.publicKey.isValidSignature(s, for: m))
            #expect(!key.publicKey.isValidSignature(s, for: Array("message \(i + 1)".utf8)))
        }
    }
}
