import Glibc
import GateSystem

/// TLS for gate's client, from the system's OpenSSL 3 (`libssl.so.3`), loaded with dlopen only
/// when an https:// gate server is used: local commands load nothing and pay nothing (the
/// reason gate does not link an HTTP stack, BENCHMARKS.md issue 5). Certificates are verified
/// against the system's trust store (plus `GATE_SERVER_CA`, a PEM file) and the URL's host
/// name; TLS 1.2 is the minimum. Nothing here is a fallback: any failure refuses the connection.
final class TLSSession {
    enum Step { case done(Int), wantRead, wantWrite, closed }

    private let lib: OpenSSL
    private let ctx: OpaquePointer
    private let ssl: OpaquePointer

    init(fd: Int32, host: String) throws(PlainHTTP.Failure) {
        guard let lib = OpenSSL.shared else {
            throw .unreachable("https needs the system's OpenSSL 3 (libssl.so.3), which could not be loaded: \(OpenSSL.loadError)")
        }
        self.lib = lib
        guard let ctx = lib.SSL_CTX_new(lib.TLS_client_method()) else { throw .unreachable("TLS: cannot create a context") }
        self.ctx = ctx
        _ = lib.SSL_CTX_ctrl(ctx, 123 /* SSL_CTRL_SET_MIN_PROTO_VERSION */, 0x0303 /* TLS 1.2 */, nil)
        _ = lib.SSL_CTX_set_default_verify_paths(ctx)
        if let ca = System.envNonEmpty("GATE_SERVER_CA"), lib.SSL_CTX_load_verify_locations(ctx, ca, nil) != 1 {
            lib.SSL_CTX_free(ctx)
            throw .unreachable("TLS: cannot load the certificate authorities in GATE_SERVER_CA=\(ca)")
        }
        lib.SSL_CTX_set_verify(ctx, 1 /* SSL_VERIFY_PEER */, nil)
        guard let ssl = lib.SSL_new(ctx) else { lib.SSL_CTX_free(ctx); throw .unreachable("TLS: cannot create a session") }
        self.ssl = ssl
        _ = lib.SSL_set_fd(ssl, fd)
        let isAddress = host.contains(":") || host.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 46 }
        if !isAddress {
            _ = host.withCString { lib.SSL_ctrl(ssl, 55 /* SSL_CTRL_SET_TLSEXT_HOSTNAME */, 0, UnsafeMutableRawPointer(mutating: $0)) }
        }
        // The certificate must name this host (DNS name or IP address).
        _ = lib.SSL_set1_host(ssl, host)
    }

    deinit {
        _ = lib.SSL_shutdown(ssl)
        lib.SSL_free(ssl)
        lib.SSL_CTX_free(ctx)
    }

    func handshake() throws(PlainHTTP.Failure) -> Step {
        let r = lib.SSL_connect(ssl)
        if r == 1 { return .done(0) }
        switch lib.SSL_get_error(ssl, r) {
        case 2: return .wantRead
        case 3: return .wantWrite
        default:
            let verify = lib.SSL_get_verify_result(ssl)
            if verify != 0 {
                let why = lib.X509_verify_cert_error_string.map { String(cString: $0(verify)) } ?? "code \(verify)"
                throw .unreachable("TLS: the server's certificate is not trusted: \(why)")
            }
            throw .unreachable("TLS handshake failed: \(lib.lastError())")
        }
    }

    func write(_ bytes: [UInt8], from offset: Int) throws(PlainHTTP.Failure) -> Step {
        let r = bytes.withUnsafeBytes { lib.SSL_write(ssl, $0.baseAddress! + offset, Int32(min(bytes.count - offset, Int(Int32.max)))) }
        if r > 0 { return .done(Int(r)) }
        return try classify(r)
    }

    func read(into buffer: inout [UInt8]) throws(PlainHTTP.Failure) -> Step {
        let r = buffer.withUnsafeMutableBytes { lib.SSL_read(ssl, $0.baseAddress!, Int32($0.count)) }
        if r > 0 { return .done(Int(r)) }
        return try classify(r)
    }

    private func classify(_ r: Int32) throws(PlainHTTP.Failure) -> Step {
        switch lib.SSL_get_error(ssl, r) {
        case 2: return .wantRead
        case 3: return .wantWrite
        case 6: return .closed  // close_notify
        case 5 where r == 0: return .closed  // EOF without close_notify: the body length decides
        default: throw .unreachable("TLS: \(lib.lastError())")
        }
    }
}

/// The few OpenSSL 3 functions gate uses, looked up once. None is variadic.
struct OpenSSL: @unchecked Sendable {
    typealias P = OpaquePointer
    let TLS_client_method: @convention(c) () -> P?
    let SSL_CTX_new: @convention(c) (P?) -> P?
    let SSL_CTX_free: @convention(c) (P?) -> Void
    let SSL_CTX_ctrl: @convention(c) (P?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_CTX_set_default_verify_paths: @convention(c) (P?) -> Int32
    let SSL_CTX_load_verify_locations: @convention(c) (P?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_set_verify: @convention(c) (P?, Int32, OpaquePointer?) -> Void
    let SSL_new: @convention(c) (P?) -> P?
    let SSL_free: @convention(c) (P?) -> Void
    let SSL_set_fd: @convention(c) (P?, Int32) -> Int32
    let SSL_ctrl: @convention(c) (P?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_set1_host: @convention(c) (P?, UnsafePointer<CChar>?) -> Int32
    let SSL_connect: @convention(c) (P?) -> Int32
    let SSL_read: @convention(c) (P?, UnsafeMutableRawPointer?, Int32) -> Int32
    let SSL_write: @convention(c) (P?, UnsafeRawPointer?, Int32) -> Int32
    let SSL_get_error: @convention(c) (P?, Int32) -> Int32
    let SSL_shutdown: @convention(c) (P?) -> Int32
    let SSL_get_verify_result: @convention(c) (P?) -> Int
    let ERR_get_error: @convention(c) () -> UInt
    let ERR_error_string_n: @convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Void
    let X509_verify_cert_error_string: (@convention(c) (Int) -> UnsafePointer<CChar>)?

    nonisolated(unsafe) static var loadError = ""
    static let shared: OpenSSL? = load()

    static func load() -> OpenSSL? {
        guard let handle = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL) else {
            loadError = dlerror().map { String(cString: $0) } ?? "unknown error"
            return nil
        }
        func sym<T>(_ name: String, _: T.Type) -> T? {
            guard let p = dlsym(handle, name) else { return nil }
            return unsafeBitCast(p, to: T.self)
        }
        guard let a = sym("TLS_client_method", (@convention(c) () -> P?).self),
              let b = sym("SSL_CTX_new", (@convention(c) (P?) -> P?).self),
              let c = sym("SSL_CTX_free", (@convention(c) (P?) -> Void).self),
              let d = sym("SSL_CTX_ctrl", (@convention(c) (P?, Int32, Int, UnsafeMutableRawPointer?) -> Int).self),
              let e = sym("SSL_CTX_set_default_verify_paths", (@convention(c) (P?) -> Int32).self),
              let f = sym("SSL_CTX_load_verify_locations", (@convention(c) (P?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32).self),
              let g = sym("SSL_CTX_set_verify", (@convention(c) (P?, Int32, OpaquePointer?) -> Void).self),
              let h = sym("SSL_new", (@convention(c) (P?) -> P?).self),
              let i = sym("SSL_free", (@convention(c) (P?) -> Void).self),
              let j = sym("SSL_set_fd", (@convention(c) (P?, Int32) -> Int32).self),
              let k = sym("SSL_ctrl", (@convention(c) (P?, Int32, Int, UnsafeMutableRawPointer?) -> Int).self),
              let l = sym("SSL_set1_host", (@convention(c) (P?, UnsafePointer<CChar>?) -> Int32).self),
              let m = sym("SSL_connect", (@convention(c) (P?) -> Int32).self),
              let n = sym("SSL_read", (@convention(c) (P?, UnsafeMutableRawPointer?, Int32) -> Int32).self),
              let o = sym("SSL_write", (@convention(c) (P?, UnsafeRawPointer?, Int32) -> Int32).self),
              let q = sym("SSL_get_error", (@convention(c) (P?, Int32) -> Int32).self),
              let r = sym("SSL_shutdown", (@convention(c) (P?) -> Int32).self),
              let s = sym("SSL_get_verify_result", (@convention(c) (P?) -> Int).self),
              let t = sym("ERR_get_error", (@convention(c) () -> UInt).self),
              let u = sym("ERR_error_string_n", (@convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Void).self) else {
            loadError = "libssl.so.3 lacks a function gate needs"
            return nil
        }
        return OpenSSL(TLS_client_method: a, SSL_CTX_new: b, SSL_CTX_free: c, SSL_CTX_ctrl: d, SSL_CTX_set_default_verify_paths: e,
                       SSL_CTX_load_verify_locations: f, SSL_CTX_set_verify: g, SSL_new: h, SSL_free: i, SSL_set_fd: j, SSL_ctrl: k,
                       SSL_set1_host: l, SSL_connect: m, SSL_read: n, SSL_write: o, SSL_get_error: q, SSL_shutdown: r,
                       SSL_get_verify_result: s, ERR_get_error: t, ERR_error_string_n: u,
                       X509_verify_cert_error_string: sym("X509_verify_cert_error_string", (@convention(c) (Int) -> UnsafePointer<CChar>).self))
    }

    func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return System.errnoString() }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
