import GateSystem
import Glibc
import Testing

/// A pid is reused; a process is its pid, boot and start time. A recorded requester whose pid now
/// names another process has ended.
@Suite struct ProcessIdentityTests {
    @Test func aReusedPidIsNotTheProcessRecorded() throws {
        let me = try #require(ProcessIdentity.of(getpid()))
        #expect(me.contains(":") && me == ProcessIdentity.of(getpid()))
        #expect(!ProcessIdentity.hasEnded(pid: getpid(), identity: me))
        #expect(!ProcessIdentity.hasEnded(pid: getpid(), identity: ""))  // nothing recorded: the pid decides
        #expect(ProcessIdentity.hasEnded(pid: getpid(), identity: "another-boot:12345"))
        #expect(ProcessIdentity.of(Int32.max) == nil)
        #expect(ProcessIdentity.hasEnded(pid: Int32.max, identity: ""))
    }

    /// The start time is field 22 of /proc/PID/stat, counted after the command name's closing
    /// parenthesis: a name with spaces and parentheses must not shift it.
    @Test func theStartTimeIsReadPastAnyCommandName() throws {
        let dir = "/tmp/gate-pi-\(getpid())"
        mkdir(dir, 0o700)
        defer { unlink(dir + "/a b) c"); rmdir(dir) }
        #expect(symlink("/bin/sleep", dir + "/a b) c") == 0)
        var child: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(dir + "/a b) c"), strdup("5"), nil]
        defer { argv.forEach { free($0) } }
        #expect(posix_spawn(&child, argv[0]!, nil, nil, argv, environ) == 0)
        defer { kill(child, SIGKILL); var st: Int32 = 0; waitpid(child, &st, 0) }
        usleep(100_000)
        let stat = Self.read("/proc/\(child)/stat")
        let afterName = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let boot = Self.read("/proc/sys/kernel/random/boot_id")
        #expect(stat.contains("(a b) c)"))
        #expect(ProcessIdentity.of(child) == boot.split(separator: "\n")[0] + ":" + afterName[19])
    }

    static func read(_ path: String) -> String {
        guard let f = fopen(path, "r") else { return "" }
        defer { fclose(f) }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = fread(&buffer, 1, 2047, f)
        return String(decoding: buffer[..<n], as: UTF8.self)
    }
}
