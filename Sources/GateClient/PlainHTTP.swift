import Glibc
import GateSystem
import GateWire

/// A small blocking HTTP/1.1 client for talking to a gate server: one connection per call,
/// `Connection: close`, explicit deadlines, and an interrupt descriptor so that a signal during
/// a long-poll wakes the requester at once. It is written here, on plain sockets (and the
/// system's OpenSSL, loaded only for https), because linking a full HTTP stack into `gate`
/// costs every local command start-up time (BENCHMARKS.md, issue 5); the server uses Hummingbird.
public struct PlainHTTP: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case unreachable(String)
        case timedOut
        case interrupted(Int32)
        case malformed(String)

        public var description: String {
            switch self {
            case .unreachable(let m): return m
            case .timedOut: return "the server did not answer in time"
            case .interrupted(let s): return "interrupted by signal \(s)"
            case .malformed(let m): return "malformed response: \(m)"
            }
        }
    }

    public let host: String
    public let port: UInt16
    public let prefix: String
    public let base: String
    /// https: TLS (TLSSession), certificate and host name verified.
    public let secure: Bool

    /// `http[s]://HOST[:PORT][/PREFIX]`. Other schemes are refused with a reason.
    public init(url raw: String) throws {
        var url = raw
        while url.hasSuffix("/") { url.removeLast() }
        secure = url.hasPrefix("https://")
        guard url.hasPrefix("http://") || secure else {
            throw GateFailure.config("'\(raw)' is not an http:// or https:// URL", hint: "GATE_SERVER=https://HOST[:PORT]")
        }
        let rest = url.dropFirst(secure ? 8 : 7)
        let authority = rest.prefix { $0 != "/" }
        prefix = String(rest.dropFirst(authority.count))
        var h = Substring(authority), p: UInt16 = secure ? 443 : 80
        if authority.hasPrefix("[") {  // [v6]:port
            guard let close = authority.firstIndex(of: "]") else { throw GateFailure.config("'\(raw)': unclosed [ in the host") }
            h = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let n = UInt16(after.dropFirst()) else { throw GateFailure.config("'\(raw)': bad port") }; p = n }
        } else if let colon = authority.lastIndex(of: ":") {
            h = authority[..<colon]
            guard let n = UInt16(authority[authority.index(after: colon)...]), n > 0 else { throw GateFailure.config("'\(raw)': bad port") }
            p = n
        }
        guard !h.isEmpty, !h.unicodeScalars.contains("@") else { throw GateFailure.config("'\(raw)': no host (credentials in the URL are not supported)") }
        host = String(h)
        port = p
        base = url
    }

    /// One request. `interruptFD`, when given, is polled alongside the socket: a byte there is a
    /// signal number (Waiter's self-pipe), and the call gives up with `.interrupted`.
    public func send(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [(name: String, value: String)] = [],
                     timeoutMilliseconds: Int, interruptFD: Int32? = nil) throws(Failure) -> Response {
        let deadline = System.monotonicNanos() + UInt64(timeoutMilliseconds) * 1_000_000
        let fd = try connect(deadline: deadline, interruptFD: interruptFD)
        defer { close(fd) }
        var tls: TLSSession?
        if secure {
            let session = try TLSSession(fd: fd, host: host)
            tls = session
            while true {
                switch try session.handshake() {
                case .done, .closed: break
                case .wantRead: try waitFor(fd, events: Int16(POLLIN), deadline: deadline, interruptFD: interruptFD); continue
                case .wantWrite: try waitFor(fd, events: Int16(POLLOUT), deadline: deadline, interruptFD: interruptFD); continue
                }
                break
            }
        }
        defer { tls = nil }  // close_notify before the socket closes
        var head = "\(method) \(prefix)\(path) HTTP/1.1\r\nHost: \(host.unicodeScalars.contains(":") ? "[\(host)]" : host):\(port)\r\nUser-Agent: gate\r\nAccept: application/json\r\nConnection: close\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        // Header values are gate's own ASCII (a statement's text): no line breaks to smuggle.
        for h in headers where !h.value.utf8.contains(where: { $0 < 0x20 || $0 > 0x7e }) { head += "\(h.name): \(h.value)\r\n" }
        head += "\r\n"
        var out = Array(head.utf8)
        if let body { out += body }
        var sent = 0
        // A server may answer from the head and close before the body is all sent (413 for a body
        // over its limit, 503 busy): its answer is then read, not reported as unreachable.
        var sendFailure: Failure?
        sending: while sent < out.count {
            let step: TLSSession.Step
            if let tls {
                step = try tls.write(out, from: sent)
            } else {
                let n = out.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, out.count - sent, Int32(MSG_NOSIGNAL)) }
                if n < 0 && errno != EAGAIN && errno != EINTR {
                    sendFailure = .unreachable("sending to \(host):\(port): \(System.errnoString())")
                    if sent > 0 && (errno == EPIPE || errno == ECONNRESET) { break sending }
                    throw sendFailure!
                }
                if n < 0 {
                    // Blocked sending: an answer may already be waiting (the server refused from
                    // the head and reads no more), and then it is read instead of waiting on.
                    try waitFor(fd, events: Int16(POLLOUT | POLLIN), deadline: deadline, interruptFD: interruptFD)
                    var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    if poll(&probe, 1, 0) == 1 && probe.revents & Int16(POLLIN) != 0 {
                        sendFailure = .unreachable("\(host):\(port) answered before the request was sent")
                        break sending
                    }
                    continue
                }
                step = .done(n)
            }
            switch step {
            case .done(let n): sent += n
            case .wantRead: try waitFor(fd, events: Int16(POLLIN), deadline: deadline, interruptFD: interruptFD)
            case .wantWrite: try waitFor(fd, events: Int16(POLLOUT), deadline: deadline, interruptFD: interruptFD)
            case .closed: throw .unreachable("\(host):\(port) closed the connection")
            }
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        reading: while true {
            let step: TLSSession.Step
            if let tls {
                step = try tls.read(into: &chunk)
            } else {
                let n = recv(fd, &chunk, chunk.count, 0)
                if n < 0 && errno != EAGAIN && errno != EINTR { throw sendFailure ?? .unreachable("reading from \(host):\(port): \(System.errnoString())") }
                step = n < 0 ? .wantRead : n == 0 ? .closed : .done(n)
            }
            switch step {
            case .closed: break reading
            case .wantRead:
                if let sendFailure { guard (try? waitFor(fd, events: Int16(POLLIN), deadline: min(deadline, System.monotonicNanos() + 2_000_000_000), interruptFD: interruptFD)) != nil else { throw sendFailure }; continue }
                try waitFor(fd, events: Int16(POLLIN), deadline: deadline, interruptFD: interruptFD)
            case .wantWrite: try waitFor(fd, events: Int16(POLLOUT), deadline: deadline, interruptFD: interruptFD)
            case .done(let n):
                response.append(contentsOf: chunk[0..<n])
                guard response.count <= 64 << 20 else { throw .malformed("response larger than 64 MiB") }
                // Done when the body its Content-Length announces is here, even if the peer (a
                // proxy) keeps the connection open despite `Connection: close`.
                if Self.isComplete(response) { break reading }
            }
        }
        if let sendFailure, !Self.isComplete(response) { throw sendFailure }
        return try Self.parse(response)
    }

    private func connect(deadline: UInt64, interruptFD: Int32?) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw .unreachable("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            if fd < 0 { lastError = System.errnoString(); continue }
            if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else { lastError = System.errnoString(); close(fd); continue }
            do { try waitFor(fd, events: Int16(POLLOUT), deadline: deadline, interruptFD: interruptFD) } catch {
                close(fd)
                throw error
            }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err == 0 { return fd }
            lastError = System.errnoString(err)
            close(fd)
        }
        throw .unreachable("cannot connect to \(host):\(port): \(lastError)")
    }

    private func waitFor(_ fd: Int32, events: Int16, deadline: UInt64, interruptFD: Int32?) throws(Failure) {
        while true {
            let now = System.monotonicNanos()
            guard now < deadline else { throw .timedOut }
            var fds = [pollfd(fd: fd, events: events, revents: 0)]
            if let i = interruptFD { fds.append(pollfd(fd: i, events: Int16(POLLIN), revents: 0)) }
            let ms = Int32(min(UInt64(Int32.max), (deadline - now) / 1_000_000 + 1))
            let n = poll(&fds, nfds_t(fds.count), ms)
            if n < 0 && errno == EINTR { continue }
            if fds.count == 2 && fds[1].revents != 0 {
                var byte: UInt8 = 0
                if read(fds[1].fd, &byte, 1) == 1 { throw .interrupted(Int32(byte)) }
            }
            if fds[0].revents != 0 { return }
        }
    }

    package static func isComplete(_ bytes: [UInt8]) -> Bool {
        guard let end = TextSearch.firstRange(ofBytes: [13, 10, 13, 10], in: bytes[...]) else { return false }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).lowercased()
        guard head.split(separator: "\r\n").contains(where: { $0.hasPrefix("content-length:") }) else { return false }
        // A length that does not parse is complete as it is: `parse` names what is wrong.
        guard case .success(let length?) = Result(catching: { () throws(Failure) in try contentLength(head) }) else { return true }
        return bytes.count - end.upperBound >= length
    }

    /// The largest body or chunk the client accepts from a server (the server's own limit is 24 MiB).
    static let maxBody = 64 << 20

    /// Status line, headers, and a body delimited by Content-Length, chunked encoding or EOF.
    /// Whatever a server or proxy sends, the answer is a Response or `.malformed`, never a trap.
    package static func parse(_ bytes: [UInt8]) throws(Failure) -> Response {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        guard let end = TextSearch.firstRange(ofBytes: crlf2, in: bytes[...]) else { throw .malformed("no end of headers") }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusWords = lines[0].split(separator: " ")
        guard statusWords.count >= 2, statusWords[0].hasPrefix("HTTP/1."), statusWords[1].utf8.count == 3,
              statusWords[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let status = Int(statusWords[1]), (100...599).contains(status) else {
            throw .malformed("bad status line")
        }
        let length = try contentLength(head)
        let chunked = lines.dropFirst().contains { line in
            guard let colon = line.firstIndex(of: ":") else { return false }
            return line[..<colon].lowercased() == "transfer-encoding" && TextSearch.contains("chunked", in: line[line.index(after: colon)...].lowercased())
        }
        var body = Array(bytes[end.upperBound...])
        if chunked {
            body = try dechunk(body)
        } else if let length {
            guard body.count >= length else { throw .malformed("body shorter than its Content-Length") }
            body = Array(body.prefix(length))
        }
        return Response(status: status, body: body)
    }

    /// The Content-Length: decimal digits only, at most `maxBody`; two that differ are refused
    /// (which one a proxy used is unknowable).
    static func contentLength(_ head: String) throws(Failure) -> Int? {
        var length: Int?
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "content-length" else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " ")
            guard !value.isEmpty, value.utf8.count <= 9, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(value), n <= maxBody else {
                throw .malformed("bad Content-Length '\(value.prefix(20))'")
            }
            if let length, length != n { throw .malformed("two different Content-Length headers") }
            length = n
        }
        return length
    }

    static func dechunk(_ data: [UInt8]) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard i <= data.count, let lineEnd = TextSearch.firstRange(ofBytes: [13, 10], in: data[i...]) else { throw .malformed("cut chunk") }
            let sizeText = (String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? "").trimmingCharacters(in: " ")
            guard !sizeText.isEmpty, sizeText.utf8.count <= 8, let size = Int(sizeText, radix: 16), size >= 0,
                  !sizeText.hasPrefix("-"), !sizeText.hasPrefix("+"), out.count + size <= maxBody else {
                throw .malformed("bad chunk size '\(sizeText.prefix(20))'")
            }
            i = lineEnd.upperBound
            if size == 0 { return out }
            // The data, then its CRLF: both must be there.
            guard size <= data.count - i, data.count - i - size >= 2, data[i + size] == 13, data[i + size + 1] == 10 else {
                throw .malformed("cut chunk")
            }
            out += data[i..<(i + size)]
            i += size + 2
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in c: Character) -> Substring {
        var s = self
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return s
    }
}
