import Glibc

/// Waits for something to change in the state directory, or for a signal, without busy polling:
/// inotify reports every write to the database's WAL, so an approval wakes the requester within
/// a millisecond or two. A periodic re-check (default 1 s) is kept as a safety net only.
public final class Waiter {
    private let inotifyFD: Int32
    private let signals: SignalPipe

    public enum Wake: Equatable { case changed, signal(Int32), tick }

    public init(watching directory: String) throws {
        signals = try SignalPipe([SIGINT, SIGTERM, SIGHUP])
        inotifyFD = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        if inotifyFD >= 0 {
            _ = inotify_add_watch(inotifyFD, directory, UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO))
        }
        // A parent may have started gate with these blocked (test runners and some supervisors
        // do); a requester that cannot be interrupted would be a hang, so unblock them here.
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    deinit {
        if inotifyFD >= 0 { close(inotifyFD) }
    }

    /// The self-pipe's read end: readable when a signal arrived (one byte per signal, its
    /// number). Polled by PlainHTTP during a remote wait.
    public var interruptFD: Int32 { signals.readFD }

    /// A signal that arrived and has not been reported yet, if any.
    public func pendingSignal() -> Int32? { signals.next() }

    public func wait(timeoutMilliseconds: Int32) -> Wake {
        if let s = pendingSignal() { return .signal(s) }
        var fds = [pollfd(fd: signals.readFD, events: Int16(POLLIN), revents: 0),
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
