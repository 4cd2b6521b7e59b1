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
        // Every call is checked: a setting that silently failed (host-name checking above all)
        // would leave a connection that looks verified and is not.
        func refuse(_ what: String, _ ssl: OpaquePointer? = nil) -> PlainHTTP.Failure {
            let why = lib.lastError()
            if let ssl { lib.SSL_free(ssl) }
            lib.SSL_CTX_free(ctx)
            return .unreachable("TLS: \(what) (\(why)); refusing the connection")
        }
        typealias C = OpenSSL.Constant
        guard lib.SSL_CTX_ctrl(ctx, C.ctrlSetMinProtoVersion, C.tls1_2Version, nil) == 1 else { throw refuse("cannot require TLS 1.2") }
        guard lib.SSL_CTX_set_default_verify_paths(ctx) == 1 else { throw refuse("cannot load the system's certificate authorities") }
        if let ca = System.envNonEmpty("GATE_SERVER_CA"), lib.SSL_CTX_load_verify_locations(ctx, ca, nil) != 1 {
            throw refuse("cannot load the certificate authorities in GATE_SERVER_CA=\(ca)")
        }
        lib.SSL_CTX_set_verify(ctx, C.verifyPeer, nil)
        guard let ssl = lib.SSL_new(ctx) else { throw refuse("cannot create a session") }
        guard lib.SSL_set_fd(ssl, fd) == 1 else { throw refuse("cannot attach the socket", ssl) }
        let isAddress = host.contains(":") || host.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 46 }
        if !isAddress {
            let sni = host.withCString { lib.SSL_ctrl(ssl, C.ctrlSetTLSExtHostname, C.tlsextNametypeHostName, UnsafeMutableRawPointer(mutating: $0)) }
            guard sni == 1 else { throw refuse("cannot send the host name \(host)", ssl) }
        }
        // The certificate must name this host (DNS name or IP address).
        guard lib.SSL_set1_host(ssl, host) == 1 else { throw refuse("cannot require the certificate to name \(host)", ssl) }
        self.ctx = ctx
        self.ssl = ssl
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
        case OpenSSL.Constant.errorWantRead: return .wantRead
        case OpenSSL.Constant.errorWantWrite: return .wantWrite
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
        case OpenSSL.Constant.errorWantRead: return .wantRead
        case OpenSSL.Constant.errorWantWrite: return .wantWrite
        case OpenSSL.Constant.errorZeroReturn: return .closed  // close_notify
        case OpenSSL.Constant.errorSyscall where r == 0: return .closed  // EOF without close_notify: the body length decides
        default: throw .unreachable("TLS: \(lib.lastError())")
        }
    }
}

/// The few OpenSSL 3 functions gate uses, looked up once. None is variadic.
struct OpenSSL: @unchecked Sendable {
    /// The values of the OpenSSL 3 macros gate passes (ssl.h, tls1.h, x509_vfy.h).
    enum Constant {
        static let ctrlSetMinProtoVersion: Int32 = 123   // SSL_CTRL_SET_MIN_PROTO_VERSION
        static let ctrlSetTLSExtHostname: Int32 = 55     // SSL_CTRL_SET_TLSEXT_HOSTNAME
        static let tlsextNametypeHostName = 0            // TLSEXT_NAMETYPE_host_name
        static let tls1_2Version = 0x0303                // TLS1_2_VERSION
        static let verifyPeer: Int32 = 1                 // SSL_VERIFY_PEER
        static let errorWantRead: Int32 = 2              // SSL_ERROR_WANT_READ
        static let errorWantWrite: Int32 = 3             // SSL_ERROR_WANT_WRITE
        static let errorSyscall: Int32 = 5               // SSL_ERROR_SYSCALL
        static let errorZeroReturn: Int32 = 6            // SSL_ERROR_ZERO_RETURN
    }

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
