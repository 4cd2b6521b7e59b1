import CGateSocket
import Glibc
import GateSystem
import GateWire

/// How the gate daemon hands one client's request to a prepared worker (DaemonServer): a worker
/// forked ahead of any request, with the state database already open, waits on its end of a
/// private SOCK_SEQPACKET pair. One message carries the requester's credentials (read by the
/// daemon from the socket, SO_PEERCRED, and the user database) and, attached: the client's
/// connection, an anonymous file holding the request's body, and the descriptors the client
/// passed. The worker trusts the message because only the daemon holds the other end.
public enum WorkerHandoff {
    public struct Request {
        public var peer: Credentials
        public var body: [UInt8]
        public var connection: Int32
        public var passed: [Int32]
    }

    /// A pair of connected sockets (close-on-exec), or nil.
    public static func pair() -> (daemon: Int32, worker: Int32)? {
        var fds: [Int32] = [-1, -1]
        guard gate_seqpacket_pair(&fds) == 0 else { return nil }
        return (fds[0], fds[1])
    }

    /// Sends the request; false when the worker is gone or the message could not be made.
    public static func send(_ sock: Int32, peer: Credentials, body: [UInt8], connection: Int32, passed: [Int32]) -> Bool {
        let file = body.withUnsafeBytes { gate_memfd_holding($0.baseAddress, $0.count) }
        guard file >= 0 else { return false }
        defer { close(file) }
        let message = JSON.object([
            ("user", .string(peer.user)), ("uid", .int(Int64(peer.uid))), ("gid", .int(Int64(peer.gid))),
            ("groups", .array(peer.groups.map { .int(Int64($0)) })), ("home", .string(peer.home)), ("shell", .string(peer.shell)),
        ]).serialized()
        let fds = [connection, file] + passed
        let n = Array(message.utf8).withUnsafeBytes { raw in
            fds.withUnsafeBufferPointer { gate_send_with_fds(sock, raw.baseAddress, raw.count, $0.baseAddress, Int32($0.count)) }
        }
        return n > 0
    }

    /// Waits for the request (blocking); nil when the daemon closed its end or sent something
    /// else (the worker then has nothing to do but exit).
    public static func receive(_ sock: Int32) -> Request? {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var fds = [Int32](repeating: -1, count: 8)
        var count: Int32 = 0, truncated: Int32 = 0
        let n = buffer.withUnsafeMutableBytes { raw in
            fds.withUnsafeMutableBufferPointer { gate_recv_with_fds(sock, raw.baseAddress, raw.count, $0.baseAddress, 8, &count, &truncated, 0) }
        }
        let got = Array(fds.prefix(Int(max(0, count))))
        func fail() -> Request? { for fd in got { close(fd) }; return nil }
        guard n > 0, truncated == 0, got.count >= 2,
              let json = try? JSON.parse(String(decoding: buffer.prefix(n), as: UTF8.self)),
              let user = json["user"]?.stringValue, let uid = json["uid"]?.intValue, let gid = json["gid"]?.intValue,
              let home = json["home"]?.stringValue, let shell = json["shell"]?.stringValue,
              let uid32 = UInt32(exactly: uid), let gid32 = UInt32(exactly: gid) else { return fail() }
        let groups = (json["groups"]?.arrayValue ?? []).compactMap { $0.intValue.flatMap { UInt32(exactly: $0) } }
        guard let body = try? Files.read(fd: got[1], path: "the request's body", limit: DaemonWire.maxMessage) else { return fail() }
        close(got[1])
        let peer = Credentials(user: user, uid: uid32, gid: gid32, groups: groups, home: home, shell: shell)
        return Request(peer: peer, body: body, connection: got[0], passed: Array(got.dropFirst(2)))
    }
}
