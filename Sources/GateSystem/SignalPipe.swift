import Glibc

nonisolated(unsafe) private var signalPipeWrite: Int32 = -1
private let signalPipeHandler: @convention(c) (Int32) -> Void = { sig in
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: sig)
    _ = write(signalPipeWrite, &byte, 1)
    errno = saved
}

/// The self-pipe trick, once for gate: each of the signals given arrives as one byte (its number)
/// on a non-blocking, close-on-exec pipe whose read end a poll loop watches; the handler writes
/// that byte and nothing else (async-signal-safe). A handler reaches only a global, so one pipe
/// receives at a time per process: the newest made. Used by the requester's wait (Waiter), the
/// gate daemon's loop and `gate mcp`'s loop.
public final class SignalPipe {
    public let readFD: Int32
    public let writeFD: Int32

    public init(_ signals: [Int32]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw GateFailure.internalError("pipe: \(System.errnoString())") }
        for fd in fds {  // pipe2 is not exported by Glibc's module map
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        readFD = fds[0]
        writeFD = fds[1]
        signalPipeWrite = writeFD
        var action = sigaction()
        action.__sigaction_handler.sa_handler = signalPipeHandler
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        for s in signals { sigaction(s, &action, nil) }
    }

    deinit {
        if signalPipeWrite == writeFD { signalPipeWrite = -1 }
        close(readFD)
        close(writeFD)
    }

    /// The next signal that arrived and has not been read, if any.
    public func next() -> Int32? {
        var byte: UInt8 = 0
        return read(readFD, &byte, 1) == 1 ? Int32(byte) : nil
    }

    /// Every signal that arrived since the last read, in order.
    public func drain() -> [Int32] {
        var out: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(readFD, &buffer, buffer.count)
            guard n > 0 else { return out }
            out += buffer[0..<n].map { Int32($0) }
        }
    }
}
