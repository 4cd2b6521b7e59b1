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
}
