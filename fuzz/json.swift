// JSON as gate reads it (server answers, request bodies, ledger payloads): parse, and a parsed value serialises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = text
    if let j = try? JSON.parse(text) { _ = j.serialized() }
    return 0
}
