import Glibc

/// A process as the kernel knows it, which a pid alone is not (pids are reused): the boot it ran
/// in and its start time in clock ticks since that boot, `BOOT_ID:STARTTIME`. A recorded
/// requester whose identity no longer matches is gone, even if its pid now names another process.
public enum ProcessIdentity {
    /// The identity of `pid` now, or nil if there is no such process (or /proc is unreadable).
    public static func of(_ pid: Int32) -> String? {
        guard let boot = read("/proc/sys/kernel/random/boot_id"), let stat = read("/proc/\(pid)/stat"),
              let close = stat.utf8.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Fields after the command name (which may hold spaces and parentheses): state is field
        // 3, starttime field 22, so the 20th after the closing parenthesis.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return boot.trimmingASCIIWhitespace() + ":" + fields[19]
    }

    /// Whether the process recorded as `pid` with `identity` ("" when none was recorded: then the
    /// pid alone decides) has ended.
    public static func hasEnded(pid: Int32, identity: String) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        guard !identity.isEmpty, let now = of(pid) else { return false }
        return now != identity
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }
}
