// Public key text and secret key files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = text
    _ = try? PublicKeyText(parsing: text)
    _ = try? SecretKeyFile(parsing: text)
    return 0
}
