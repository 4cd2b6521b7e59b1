// The canonical intent decoder: a decoded intent re-encodes to the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = text
    if let i = try? Intent(decoding: bytes) { precondition(i.encoded() == bytes) }
    return 0
}
