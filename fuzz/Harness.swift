import Glibc

/// One libFuzzer entry point for every parser gate runs on bytes from outside; the target is
/// chosen by GATE_FUZZ_TARGET (fuzz/run.sh sets it). Each checks what must hold besides "no
/// trap": a decoded value re-encodes to the same bytes where the format is canonical.
let target = getenv("GATE_FUZZ_TARGET").map { String(cString: $0) } ?? ""

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    switch target {
    case "json":  // server answers, request bodies, ledger payloads
        if let j = try? JSON.parse(text) { _ = j.serialized() }
    case "token":
        _ = try? SignedToken(text: text)
        if let p = try? TokenPayload(decoding: bytes) { precondition(p.encoded() == bytes) }
    case "statement":
        _ = try? SignedStatement(text: text)
        _ = try? StatementPayload(decoding: bytes)
    case "checkpoint":
        if let c = try? SignedCheckpoint(parsing: text) { precondition(c.text == text) }
    case "intent":
        if let i = try? Intent(decoding: bytes) { precondition(i.encoded() == bytes) }
    case "keys":
        _ = try? PublicKeyText(parsing: text)
        _ = try? SecretKeyFile(parsing: text)
    case "policy":
        _ = try? PolicyParser.parse(text)
    case "http":  // a hostile server or proxy
        _ = PlainHTTP.isComplete(bytes)
        _ = try? PlainHTTP.parse(bytes)
    case "body":  // what gate-server reads from a POST body (a filed request, a token, a copy) and
                  // what a client reads back as a request record
        guard let j = try? JSON.parse(text) else { break }
        if let s = j["statement"]?.stringValue { _ = try? SignedStatement(text: s) }
        if let b = j["body"]?.stringValue, let inner = try? Base64URL.decode(b),
           let t = String(validating: inner, as: UTF8.self), let o = try? JSON.parse(t) {
            _ = try? Intent(decoding: (try? Base64URL.decode(o["intent"]?.stringValue ?? "")) ?? [])
            _ = try? RequestTransfer.decodeBlobs(o["blobs"])
        }
        if let t = j["token"]?.stringValue { _ = try? SignedToken(text: t) }
        if let c = j["checkpoint"]?.stringValue { _ = try? SignedCheckpoint(parsing: c) }
        _ = try? RequestTransfer.decode(j)
    case "url":  // GATE_SERVER / --server
        _ = try? PlainHTTP(url: text)
    default:
        fatalError("set GATE_FUZZ_TARGET to json, token, statement, checkpoint, intent, keys, policy, http, body or url")
    }
    return 0
}
