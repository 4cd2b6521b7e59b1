import Glibc
import GateStore
import GateSystem
import GateWire

nonisolated(unsafe) private var signalSocket: Int32 = -1
private let passOn: @convention(c) (Int32) -> Void = { sig in
    var byte = UInt8(truncatingIfNeeded: sig)
    _ = write(signalSocket, &byte, 1)
}

/// The requester's and approver's end of the gate daemon (`GATE_SOCKET`). It holds no privilege
/// and writes nothing of gate's: it hands the daemon its request, its standard input, output and
/// error and its working directory as open descriptors, passes on the signals it gets, and exits
/// with the status the daemon reports. Who asks is never said: the daemon reads it from the socket.
public struct DaemonClient: Sendable {
    public let socketPath: String

    /// The daemon already said why an operation failed (on this process's stderr): exit with
    /// its status, saying nothing more.
    public struct Reported: Error {
        public var status: Int32
        public init(status: Int32) { self.status = status }
    }

    /// `GATE_SOCKET`, unless this process is itself a daemon's worker.
    public static func configured() -> DaemonClient? {
        guard !DaemonWorkerMode.active, let path = System.envNonEmpty("GATE_SOCKET") else { return nil }
        return DaemonClient(socketPath: path)
    }

    /// One operation. `withDirectory` also passes the working directory (for a run). Data
    /// messages go to `onData`; the result is the daemon's exit status for the operation.
    public func call(_ request: JSON, withDirectory: Bool = false, onData: (JSON) throws -> Void = { _ in }) throws -> Int32 {
        let sock = try DaemonWire.connect(socketPath)
        defer { close(sock) }
        var fds: [Int32] = [0, 1, 2]
        var cwd: Int32 = -1
        if withDirectory {
            cwd = open(".", 0o10000000 /* O_PATH */ | O_DIRECTORY | O_CLOEXEC)
            guard cwd >= 0 else { throw GateFailure.config("cannot open the current directory: \(System.errnoString())") }
            fds.append(cwd)
        }
        defer { if cwd >= 0 { close(cwd) } }
        // A descriptor that is not open cannot be passed: stand /dev/null in for it.
        var stand: [Int32] = []
        for i in 0..<3 where fcntl(fds[i], F_GETFD) < 0 {
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            if null >= 0 { fds[i] = null; stand.append(null) }
        }
        defer { for fd in stand { close(fd) } }
        try DaemonWire.send(sock, request, fds: fds)
        signalSocket = sock
        var action = sigaction()
        action.__sigaction_handler.sa_handler = passOn
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaction(s, &action, nil) }
        while true {
            guard let message = try DaemonWire.receive(sock) else {
                throw GateFailure(.ioError, "the gate daemon closed the connection before it said how the operation ended",
                                  hint: "a command it started may have run; gate audit verify on the daemon's host lists runs whose end is unknown")
            }
            if let code = message["exit"]?.intValue {
                if let why = message["error"]?.stringValue {
                    System.write(2, "gate: error: \(ShellQuote.inert(why))\n")
                }
                return Int32(clamping: code)
            }
            try onData(message)
        }
    }

    /// The process's environment as exec would pass it on.
    public static func environment() -> [JSON] {
        Spawner.environmentVariables().map { .string($0.name + "=" + $0.value) }
    }
}
