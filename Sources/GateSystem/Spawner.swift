import CGateSpawn
import GateCore
import Glibc

/// How a child ended, and the status gate exits with for it (as shells do: 128+N for signal N).
public enum ChildExit: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// From a waitpid status (WIFEXITED and friends are macros that do not import: decoded by hand).
    public init(waitStatus status: Int32) {
        let low = status & 0x7f
        self = low == 0 ? .exited((status >> 8) & 0xff) : .signaled(low)
    }

    public var gateStatus: Int32 {
        switch self {
        case .exited(let c): return c
        case .signaled(let s): return 128 + s
        }
    }
}

/// The pid signals are forwarded to. A signal handler can only reach globals.
nonisolated(unsafe) private var forwardTarget: pid_t = 0
/// A child in a session of its own (started by the daemon) gets what a terminal would send:
/// the signal to its whole process group, so that a shell waiting on its own child ends too.
nonisolated(unsafe) private var forwardToGroup = false
private let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
private let siKernel: Int32 = 0x80  // SI_KERNEL: sent by the kernel, e.g. the terminal's Ctrl-C

/// Forwards a signal to the child unless the kernel sent it: a terminal's Ctrl-C, Ctrl-\ or hangup
/// already reaches the child, which is in the same foreground process group, and sending it again
/// would deliver it twice.
private let forwardHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { sig, info, _ in
    if let info, info.pointee.si_code == siKernel { return }
    if forwardTarget > 0 { kill(forwardToGroup ? -forwardTarget : forwardTarget, sig) }
}

/// Runs a command with posix_spawn (not Foundation.Process, which moves the child out of the
/// terminal's foreground group): stdin, stdout and stderr are inherited, the child can read the
/// terminal, and gate stays alive to record how it ended.
public enum Spawner {
    /// Blocks the forwarded signals; call before the last checks and the "started" record so that a
    /// signal in that window is delivered (to the forwarder) only once the child exists.
    public static func blockForwardedSignals() -> sigset_t {
        var set = sigset_t(), old = sigset_t()
        sigemptyset(&set)
        for s in forwardedSignals { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, &old)
        return old
    }

    /// Spawns `path` with `argv` and `environment`, waits for it, and returns how it ended.
    /// `previousMask` is what `blockForwardedSignals` returned. Throws only if nothing was started.
    /// With `credentials` (the gate daemon's worker), the child starts as that user and its groups,
    /// in a session of its own (the requester's terminal is its stdio, not its controlling
    /// terminal, so it cannot be stopped for reading it and signals come only through gate).
    public static func run(path: String, argv: [String], environment: [String], previousMask: sigset_t,
                           as credentials: Credentials? = nil, onStart: (pid_t) -> Void = { _ in }) throws -> ChildExit {
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = forwardHandler
        action.sa_flags = SA_SIGINFO | SA_RESTART
        sigemptyset(&action.sa_mask)
        for s in forwardedSignals { sigaction(s, &action, nil) }

        // The child gets the forwarded signals at their defaults and unblocked, so that what
        // gate forwards takes effect; the rest of the mask is what gate was started with.
        var childMask = previousMask
        for s in forwardedSignals { sigdelset(&childMask, s) }
        var pid: pid_t = 0
        if let credentials {
            var options = CredentialedSpawn.Options()
            options.newSession = true
            options.mask = childMask
            do { pid = try CredentialedSpawn.spawn(path: path, argv: argv, environment: environment, as: credentials, options: options) } catch {
                var mask = previousMask
                pthread_sigmask(SIG_SETMASK, &mask, nil)
                throw error
            }
        } else {
            pid = try posixSpawn(path: path, argv: argv, environment: environment, previousMask: previousMask, childMask: childMask)
        }
        forwardToGroup = credentials != nil
        return try wait(pid, previousMask: previousMask, onStart: onStart)
    }

    private static func posixSpawn(path: String, argv: [String], environment: [String], previousMask: sigset_t, childMask: sigset_t) throws -> pid_t {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in forwardedSignals + [SIGPIPE] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var childMask = childMask
        posix_spawnattr_setsigmask(&attr, &childMask)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, nil, &attr, cArgv, cEnv)
        guard rc == 0 else {
            var mask = previousMask
            pthread_sigmask(SIG_SETMASK, &mask, nil)
            switch rc {
            case ENOENT: throw GateFailure(.notFound, "\(path): no such file")
            default: throw GateFailure(.notExecutable, "\(path): cannot execute: \(System.errnoString(rc))")
            }
        }
        return pid
    }

    /// Forwards signals to `pid` and waits for it.
    private static func wait(_ pid: pid_t, previousMask: sigset_t, onStart: (pid_t) -> Void) throws -> ChildExit {
        forwardTarget = pid
        onStart(pid)
        // Unblock the forwarded signals in gate itself too (whatever mask it inherited), so that
        // a kill aimed at gate reaches the child.
        var mask = previousMask
        for s in forwardedSignals { sigdelset(&mask, s) }
        pthread_sigmask(SIG_SETMASK, &mask, nil)

        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw GateFailure.internalError("waitpid failed: \(System.errnoString())") }
        }
        forwardTarget = 0
        return ChildExit(waitStatus: status)
    }

    /// gate's environment, in the order the process has it (split at the first `=` by bytes).
    public static func environmentVariables() -> [EnvironmentReset.Variable] {
        var out: [EnvironmentReset.Variable] = []
        // After clearenv(3) (a daemon worker given no variables) environ is NULL.
        // (Through CGateSpawn: Swift imports `environ` as never null, and reading a null one traps.)
        guard var p = gate_environ() else { return out }
        while let entry = p.pointee {
            if let eq = strchr(entry, 0x3d) {
                let nameLength = eq - entry
                let name = entry.withMemoryRebound(to: UInt8.self, capacity: nameLength) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: nameLength), as: UTF8.self)
                }
                out.append(EnvironmentReset.Variable(name, String(cString: eq + 1)))
            }
            p += 1
        }
        return out
    }
}
