// Approval tokens (text form and payload decoder): a decoded payload re-encodes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = text
    _ = try? SignedToken(text: text)
    if let p = try? TokenPayload(decoding: bytes) { precondition(p.encoded() == bytes) }
    return 0
}
