import CGateSocket
import Glibc
import GateSystem
import GateWire

/// The gate daemon's socket protocol (SPEC.md §10), both ends. A unix stream socket; each
/// message is a 4-byte big-endian length and that many bytes of one JSON object. The client's
/// first message is its request and carries its descriptors (SCM_RIGHTS); after it, the client
/// sends only single bytes, each a signal number to pass on (Ctrl-C while it waits or runs).
/// The daemon answers with zero or more data messages and a last `{"exit": N}`.
public enum DaemonWire {
    /// A request bigger than this is refused: argv and environment together are bounded by the
    /// kernel's ARG_MAX (2 MiB here); JSON's escapes can at most double what is printable.
    public static let maxMessage = 4 << 20
    public static let defaultSocket = "/run/gate/gate.sock"

    /// The length a message's 4-byte header says (big-endian).
    static func length<C: Collection>(_ header: C) -> Int where C.Element == UInt8 {
        header.prefix(4).reduce(0) { $0 << 8 | Int($1) }
    }

    public static func frame(_ json: JSON) -> [UInt8] {
        let body = Array(json.serialized().utf8)
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + body
    }

    /// The daemon's listening socket at `path`, bound and listening, non-blocking, close-on-exec.
    public static func bindListener(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw GateFailure.internalError("socket: \(System.errnoString())") }
        var addr = try address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, listen(fd, 128) == 0 else {
            let e = errno
            close(fd)
            throw GateFailure.config("cannot listen on \(path): \(System.errnoString(e))")
        }
        return fd
    }

    private static func address(_ path: String) throws -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw GateFailure.config("the daemon socket path \(path) is too long (at most 107 bytes)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return addr
    }

    /// Connects to the daemon's socket (blocking, close-on-exec).
    public static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw GateFailure(.unavailable, "cannot make a socket: \(System.errnoString())") }
        var addr: sockaddr_un
        do { addr = try address(path) } catch {
            close(fd)
            throw error
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw GateFailure(.unavailable, "cannot reach the gate daemon at \(path): \(System.errnoString(e))",
                              hint: "is it running? (systemctl status gate-daemon; or gate daemon --socket \(path))")
        }
        return fd
    }

    /// Sends one message, with `fds` attached to its first byte. `dontWait`: the daemon's loop
    /// never blocks on a client that does not read (the message is dropped with the client).
    public static func send(_ sock: Int32, _ json: JSON, fds: [Int32] = [], dontWait: Bool = false) throws {
        let bytes = frame(json)
        var sent = 0
        while sent < bytes.count {
            let n: Int = bytes[sent...].withUnsafeBytes { raw in
                if sent == 0 && !fds.isEmpty {
                    return fds.withUnsafeBufferPointer { gate_send_with_fds(sock, raw.baseAddress, raw.count, $0.baseAddress, Int32($0.count)) }
                }
                return Glibc.send(sock, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL) | (dontWait ? Int32(MSG_DONTWAIT) : 0))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw GateFailure(.unavailable, "the connection to the gate daemon is closed: \(System.errnoString())")
            }
            sent += n
        }
    }

    /// The next connection on a non-blocking listener (close-on-exec), or nil when none waits.
    public static func accept(_ listener: Int32) -> Int32? {
        let fd = gate_accept(listener)
        return fd >= 0 ? fd : nil
    }

    /// Reads one whole message (blocking). nil at a clean end of stream.
    public static func receive(_ sock: Int32) throws -> JSON? {
        var header = [UInt8](repeating: 0, count: 4)
        guard try readExactly(sock, &header, allowEOF: true) else { return nil }
        let n = length(header)
        guard n <= maxMessage else { throw GateFailure(.dataError, "the gate daemon sent a message of \(n) bytes (at most \(maxMessage))") }
        var body = [UInt8](repeating: 0, count: n)
        _ = try readExactly(sock, &body, allowEOF: false)
        do { return try JSON.parse(String(decoding: body, as: UTF8.self)) } catch {
            throw GateFailure(.dataError, "the gate daemon sent a malformed message: \(error)")
        }
    }

    private static func readExactly(_ sock: Int32, _ buf: inout [UInt8], allowEOF: Bool) throws -> Bool {
        var got = 0
        while got < buf.count {
            let n = buf[got...].withUnsafeMutableBytes { read(sock, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw GateFailure(.ioError, "reading from the gate daemon: \(System.errnoString())")
            }
            if n == 0 {
                if got == 0 && allowEOF { return false }
                throw GateFailure(.ioError, "the gate daemon closed the connection in the middle of a message")
            }
            got += n
        }
        return true
    }
}

/// The daemon's end: one client's bytes as they arrive (non-blocking), split into its request
/// (with the descriptors that came with it) and, after it, signal bytes.
public struct DaemonInbox {
    public enum Event {
        /// The request's bytes, unparsed: the daemon's loop never parses what a client sends
        /// (the worker does), so one client's large request cannot stall the others.
        case request([UInt8], fds: [Int32])
        case signals([UInt8])
        case nothing
        case closed
        case malformed(String)
    }

    public private(set) var requestDone = false
    private var buffer: [UInt8] = []
    private var fds: [Int32] = []

    public init() {}

    /// The descriptors received but not handed on (close them when the client is dropped).
    public var heldDescriptors: [Int32] { fds }
    /// Bytes held for an incomplete request.
    public var buffered: Int { requestDone ? 0 : buffer.count }

    public mutating func read(from sock: Int32) -> Event {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var got = [Int32](repeating: -1, count: 8)
        var count: Int32 = 0, truncated: Int32 = 0
        let n = chunk.withUnsafeMutableBytes { raw in
            got.withUnsafeMutableBufferPointer { gate_recv_with_fds(sock, raw.baseAddress, raw.count, $0.baseAddress, 8, &count, &truncated, 1) }
        }
        let received = Array(got.prefix(Int(count)))
        if n < 0 {
            return errno == EAGAIN || errno == EWOULDBLOCK ? .nothing : .closed
        }
        if n == 0 { return .closed }
        if !received.isEmpty {
            // Descriptors belong only to the request's first byte.
            guard !requestDone, buffer.isEmpty, fds.isEmpty, truncated == 0 else {
                for fd in received { close(fd) }
                return .malformed("descriptors may only come with the request's first byte (at most 8)")
            }
            fds = received
        }
        if requestDone { return .signals(Array(chunk[0..<n])) }
        buffer += chunk[0..<n]
        guard buffer.count >= 4 else { return .nothing }
        let size = DaemonWire.length(buffer)
        guard size <= DaemonWire.maxMessage else { return .malformed("a request of \(size) bytes (at most \(DaemonWire.maxMessage))") }
        guard buffer.count >= 4 + size else { return .nothing }
        requestDone = true
        let rest = Array(buffer[(4 + size)...])
        let body = Array(buffer[4..<(4 + size)])
        buffer = rest
        let handed = fds
        fds = []
        return .request(body, fds: handed)
    }

    /// Signal bytes that arrived in the same read as the end of the request.
    public mutating func takeEarlySignals() -> [UInt8] {
        defer { buffer = [] }
        return requestDone ? buffer : []
    }
}

/// SO_PEERCRED: who is at the other end of a unix socket, as the kernel recorded it at connect.
public enum PeerCredentials {
    public static func of(_ sock: Int32) -> (pid: Int32, uid: UInt32, gid: UInt32)? {
        var pid: pid_t = 0, uid: uid_t = 0, gid: gid_t = 0
        guard gate_peer_credentials(sock, &pid, &uid, &gid) == 0 else { return nil }
        return (pid, uid, gid)
    }
}
