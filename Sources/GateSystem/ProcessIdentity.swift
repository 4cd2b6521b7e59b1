import Glibc

/// A process as the kernel knows it, which a pid alone is not (pids are reused): the boot it ran
/// in and its start time in clock ticks since that boot, `BOOT_ID:STARTTIME`. A recorded
/// requester whose identity no longer matches is gone, even if its pid now names another process.
public enum ProcessIdentity {
    /// This process's identity, read once (a run records it with its request and its start).
    public static let current: String? = of(getpid())

    /// The identity of `pid` now, or nil if there is no such process (or /proc is unreadable).
    /// Bytes, not Strings: every run records its own (callgrind: splitting the stat line as a
    /// String cost ~0.5 M instructions a run).
    public static func of(_ pid: Int32) -> String? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer -> String? in
            let boot = read("/proc/sys/kernel/random/boot_id", into: buffer)
            guard boot > 0 else { return nil }
            var end = boot
            while end > 0, buffer[end - 1] == UInt8(ascii: "\n") || buffer[end - 1] == UInt8(ascii: " ") { end -= 1 }
            let bootID = String(decoding: UnsafeBufferPointer(rebasing: buffer[..<end]), as: UTF8.self)
            let n = read("/proc/\(pid)/stat", into: buffer)
            guard n > 0 else { return nil }
            let stat = UnsafeBufferPointer(rebasing: buffer[..<n])
            // Fields after the command name (which may hold spaces and parentheses): state is field
            // 3, starttime field 22, so the 20th after the closing parenthesis.
            guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            var field = 0, i = close + 1, start = -1
            while i < n {
                if stat[i] == UInt8(ascii: " ") {
                    field += 1
                    if field == 20 { start = i + 1 } else if field == 21 { break }
                }
                i += 1
            }
            guard start > 0, start < i else { return nil }
            return bootID + ":" + String(decoding: UnsafeBufferPointer(rebasing: stat[start..<i]), as: UTF8.self)
        }
    }

    /// Whether the process recorded as `pid` with `identity` ("" when none was recorded: then the
    /// pid alone decides) has ended.
    public static func hasEnded(pid: Int32, identity: String) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        // A zombie has ended; its parent (a daemon killed mid-run) has not reaped it yet.
        if isZombie(pid) { return true }
        guard !identity.isEmpty, let now = of(pid) else { return false }
        return now != identity
    }

    static func isZombie(_ pid: Int32) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer in
            let n = read("/proc/\(pid)/stat", into: buffer)
            guard n > 0, let close = UnsafeBufferPointer(rebasing: buffer[..<n]).lastIndex(of: UInt8(ascii: ")")), close + 2 < n else { return false }
            return buffer[close + 2] == UInt8(ascii: "Z")
        }
    }

    private static func read(_ path: String, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        return max(0, Glibc.read(fd, buffer.baseAddress!, buffer.count))
    }
}
