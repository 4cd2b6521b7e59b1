/// The text form tokens (§4) and requester statements (§9.1) share:
/// PREFIX || base64url(payload) || "." || base64url(signature), each part canonical.
enum SignedText {
    static func encode(prefix: String, payload: [UInt8], signature: [UInt8]) -> String {
        prefix + Base64URL.encode(payload) + "." + Base64URL.encode(signature)
    }

    /// The two parts of `text`, which the caller has checked starts with `prefix`. `what` names
    /// the kind of text in the error ("token", "statement").
    static func decode(_ text: String, prefix: String, what: String) throws -> (payload: [UInt8], signature: [UInt8]) {
        let parts = text.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw WireError("a \(what) has exactly two dot-separated parts after '\(prefix)'") }
        return (try Base64URL.decode(parts[0]), try Base64URL.decode(parts[1]))
    }
}
