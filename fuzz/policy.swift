// The policy parser (also fuzzed as a property test; here coverage-guided).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = text
    _ = try? PolicyParser.parse(text)
    return 0
}
