// Requester statements (text form and payload decoder).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = text
    _ = try? SignedStatement(text: text)
    _ = try? StatementPayload(decoding: bytes)
    return 0
}
