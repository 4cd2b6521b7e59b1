import CGateSpawn
import Glibc

/// Set once, at the start of a gate daemon's worker process (a fork of the daemon serving one
/// client), before any gate code runs in it. Everything here comes from the daemon: the
/// requester from the socket's peer credentials, the state directory and policy from the
/// daemon's own configuration. Nothing a client sends can set it, and outside a worker it is nil.
public enum DaemonWorkerMode {
    /// The unix user who connected (SO_PEERCRED): the requester or approver of this worker.
    nonisolated(unsafe) public static var requester: Credentials?
    /// The daemon's state directory and policy.
    nonisolated(unsafe) public static var environment: GateEnvironment?
    /// The client's working directory, open (the command and its providers start there).
    nonisolated(unsafe) public static var cwdFD: Int32 = -1


    public static var active: Bool { requester != nil }

    /// Whose requests this worker may show: nil for an approver (or root), else the requester's
    /// own user name. Others' requests (their plans, their environments) are for approvers.
    nonisolated(unsafe) public static var onlyRequestsOf: String?

    /// The daemon's pid, to notice it is gone after PR_SET_PDEATHSIG is re-armed.
    nonisolated(unsafe) public static var daemonPID: Int32 = 0

    /// Runs `body` with file access checked as the requester (setfsuid, setfsgid, setgroups):
    /// the executable, bound files and interpreters are what the requester names, and a root
    /// worker opening them by path would read, for the requester, what only root can (a bound
    /// file shown to approvers, a FIFO swapped in mid-resolution, whether a path exists in a
    /// directory they cannot search). Outside a worker, and when already inside, it just runs.
    public static func asRequester<T>(_ body: () throws -> T) throws -> T {
        guard let r = requester else { return try body() }
        return try withFileAccess(of: r, body)
    }

    /// Runs `body` with file access checked as `r` (in a worker; outside one it just runs): an
    /// approver's worker re-hashes a request's files as the request's requester, who named them.
    public static func withFileAccess<T>(of r: Credentials, _ body: () throws -> T) throws -> T {
        guard active, !insideRequesterScope else { return try body() }
        var groups = r.groups.map { gid_t($0) }
        let rc = groups.withUnsafeMutableBufferPointer { gate_fs_identity_push(r.uid, r.gid, $0.baseAddress, $0.count) }
        // Failing closed: a worker that cannot take the requester's identity reads nothing for them.
        guard rc == 0 else { throw GateFailure.internalError("cannot check file access as \(r.user): \(System.errnoString(rc))") }
        insideRequesterScope = true
        defer {
            insideRequesterScope = false
            _ = gate_fs_identity_pop(SIGKILL)
            if daemonPID != 0 && getppid() != daemonPID { _exit(70) }
        }
        return try body()
    }

    nonisolated(unsafe) private static var insideRequesterScope = false
}
