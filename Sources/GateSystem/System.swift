import Glibc

/// Thin, typed access to the process environment and the host, so the rest of gate reads like
/// the logic it is.
public enum System {
    /// Whether this process is in the initial user namespace. In another one (`unshare -Ur`,
    /// which needs no privilege) getuid() and file owners are whatever its maps say: the
    /// requester could claim to be root or any user, and root's directories look like nobody's.
    /// nil when it cannot be told (no /proc). Read once a process: a run asks twice (Decide, and
    /// the digest cache), and gate never changes its own namespace.
    public static func inInitialUserNamespace() -> Bool? { initialUserNamespace }

    private static let initialUserNamespace: Bool? = readUIDMap()

    private static func readUIDMap() -> Bool? {
        let fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return nil }
        let fields = buf[0..<n].split(whereSeparator: { $0 == 0x20 || $0 == 0x0a || $0 == 0x09 })
        return fields.count == 3 && fields[0].elementsEqual("0".utf8) && fields[1].elementsEqual("0".utf8)
            && fields[2].elementsEqual("4294967295".utf8)
    }

    public static func env(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        return String(cString: v)
    }

    /// Non-empty value, or nil.
    public static func envNonEmpty(_ name: String) -> String? {
        guard let v = env(name), !v.isEmpty else { return nil }
        return v
    }

    /// Who gate acts for: the process's real uid, or in a gate daemon's worker the requester the
    /// socket's peer credentials named (DaemonWorkerMode), never what a client says.
    public static var uid: UInt32 { DaemonWorkerMode.requester?.uid ?? getuid() }
    public static var euid: UInt32 { geteuid() }

    public static func userName(uid: UInt32) -> String? {
        if let name = PasswdFile.name(uid: uid) { return name }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, result != nil, let name = pwd.pw_name else { return nil }
        return String(cString: name)
    }

    public static func homeDirectory() -> String? {
        if let h = envNonEmpty("HOME") { return h }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, result != nil, let dir = pwd.pw_dir else { return nil }
        return String(cString: dir)
    }

    public static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "unknown" }
        return cBufferString(buf)
    }

    static func cBufferString(_ buf: [CChar]) -> String {
        let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func currentDirectory() throws -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else {
            throw GateFailure.config("cannot determine the current directory: \(errnoString())")
        }
        return cBufferString(buf)
    }

    /// Wall-clock time in microseconds since the Unix epoch.
    public static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    public static func nowSeconds() -> UInt64 { UInt64(max(0, nowMicros() / 1_000_000)) }

    /// Monotonic time in nanoseconds, for durations.
    public static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    public static func errnoString(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// Writes all of `text` to a file descriptor, retrying short writes and EINTR. Best effort:
    /// for messages. Output that must arrive whole (exports) uses `writeAll`.
    public static func write(_ fd: Int32, _ text: String) {
        try? writeAll(fd, Array(text.utf8))
    }

    /// Writes all of `bytes` or throws (a full disk must not leave an auditor a silently short export).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw GateFailure(.ioError, "cannot write the output: \(errnoString())")
            }
            offset += n
        }
    }

    /// `NO_COLOR` (no-color.org) or a non-terminal turns colour off.
    public static func useColor(fd: Int32) -> Bool {
        envNonEmpty("NO_COLOR") == nil && isTerminal(fd) && env("TERM") != "dumb"
    }
}
