import Glibc

nonisolated(unsafe) private var signalPipeWrite: Int32 = -1
private let waitSignalHandler: @convention(c) (Int32) -> Void = { sig in
    var byte = UInt8(truncatingIfNeeded: sig)
    _ = write(signalPipeWrite, &byte, 1)
}

/// Waits for something to change in the state directory, or for a signal, without busy polling:
/// inotify reports every write to the database's WAL, so an approval wakes the requester within
/// a millisecond or two. A periodic re-check (default 1 s) is kept as a safety net only.
public final class Waiter {
    private let inotifyFD: Int32
    private let pipeRead: Int32

    public enum Wake: Equatable { case changed, signal(Int32), tick }

    public init(watching directory: String) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw GateFailure.internalError("pipe: \(System.errnoString())") }
        for fd in fds {  // pipe2 is not exported by Glibc's module map
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        pipeRead = fds[0]
        signalPipeWrite = fds[1]
        inotifyFD = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        if inotifyFD >= 0 {
            _ = inotify_add_watch(inotifyFD, directory, UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO))
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = waitSignalHandler
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaction(s, &action, nil) }
        // A parent may have started gate with these blocked (test runners and some supervisors
        // do); a requester that cannot be interrupted would be a hang, so unblock them here.
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    deinit {
        if inotifyFD >= 0 { close(inotifyFD) }
        close(pipeRead)
        close(signalPipeWrite)
        signalPipeWrite = -1
    }

    /// The self-pipe's read end: readable when a signal arrived (one byte per signal, its
    /// number). Polled by PlainHTTP during a remote wait.
    public var interruptFD: Int32 { pipeRead }

    /// A signal that arrived and has not been reported yet, if any.
    public func pendingSignal() -> Int32? {
        var byte: UInt8 = 0
        return read(pipeRead, &byte, 1) == 1 ? Int32(byte) : nil
    }

    public func wait(timeoutMilliseconds: Int32) -> Wake {
        if let s = pendingSignal() { return .signal(s) }
        var fds = [pollfd(fd: pipeRead, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0)]
        let n = poll(&fds, inotifyFD >= 0 ? 2 : 1, timeoutMilliseconds)
        if n <= 0 { return .tick }
        if let s = pendingSignal() { return .signal(s) }
        if inotifyFD >= 0 && fds[1].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while read(inotifyFD, &buffer, buffer.count) > 0 {}
            return .changed
        }
        return .tick
    }
}
