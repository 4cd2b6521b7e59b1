// Checkpoints: a parsed checkpoint is exactly its text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = text
    if let c = try? SignedCheckpoint(parsing: text) { precondition(c.text == text) }
    return 0
}
