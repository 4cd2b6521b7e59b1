// The HTTP response parser (a hostile server or proxy): parse and isComplete never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = PlainHTTP.isComplete(bytes)
    _ = try? PlainHTTP.parse(bytes)
    return 0
}
