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

    /// Who the command of this worker's request runs as (the rule's `as=` user, else the
    /// requester): its context providers run as that user too, never as the daemon.
    nonisolated(unsafe) public static var runAs: Credentials?

    public static var active: Bool { requester != nil }
}
