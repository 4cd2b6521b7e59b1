import GateCore
import Glibc
import GateSystem

/// Runs a context provider (`terraform show -no-color tfplan`) without a shell: stdin from
/// /dev/null, stdout and stderr captured through pipes, a timeout, and a cap on what is kept.
/// A provider that goes over the cap or the timeout is killed; both are marked, never silent.
enum ProviderRunner {
    struct Result {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var exit: ChildExit?
        var timedOut = false
        var truncated = false
        var notRunnable: String?
        var durationMs: Int64 = 0
        /// What argv[0] resolved to (through the requester's PATH: shown to the approver).
        var executable = ""
    }

    static let stderrCap = 16 << 10

    /// `environment`: the command's own reset environment (EnvironmentReset), so that what the
    /// approver is shown is produced under the same variables as what will run.
    static func run(argv: [String], cwd: String, environment: [String], timeoutSeconds: UInt64, maxBytes: Int) -> Result {
        var result = Result()
        let path: String
        do {
            path = try DaemonWorkerMode.asRequester { try ExecutableResolver.resolve(argv[0], cwd: cwd) }
            result.executable = path
        } catch let f as GateFailure {
            result.notRunnable = f.message
            return result
        } catch {
            result.notRunnable = "\(argv[0]): not runnable"
            return result
        }
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard pipe(&out) == 0, pipe(&err) == 0 else {
            result.notRunnable = "cannot make a pipe: \(System.errnoString())"
            return result
        }
        // Close-on-exec for gate's ends in anything else gate starts; dup2 clears it for the child.
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var pid: pid_t = 0
        let began = System.monotonicNanos()
        let rc: Int32
        if let requester = DaemonWorkerMode.requester {
            // In the daemon a provider runs as the requester: never as the daemon, and not as the
            // rule's as= user either, whose files its output would show the requester before
            // anyone approved anything (SPEC.md §10).
            rc = spawnAs(requester, path: path, argv: argv, environment: environment,
                         out: out[1], err: err[1], pid: &pid, result: &result)
        } else {
            rc = posixSpawn(path: path, argv: argv, environment: environment, out: out[1], err: err[1], pid: &pid)
        }
        close(out[1])
        close(err[1])
        defer { close(out[0]); close(err[0]) }
        guard rc == 0 else {
            if result.notRunnable == nil { result.notRunnable = "cannot start \(path): \(System.errnoString(rc))" }
            return result
        }
        return collect(pid: pid, out: out[0], err: err[0], began: began, timeoutSeconds: timeoutSeconds, maxBytes: maxBytes, into: result)
    }

    private static func spawnAs(_ credentials: Credentials, path: String, argv: [String], environment: [String], out: Int32, err: Int32,
                                pid: inout pid_t, result: inout Result) -> Int32 {
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if devNull >= 0 { close(devNull) } }
        var options = CredentialedSpawn.Options()
        options.stdio = (devNull, out, err)
        options.newProcessGroup = true
        do {
            pid = try CredentialedSpawn.spawn(path: path, argv: argv, environment: environment, as: credentials, options: options)
            return 0
        } catch let f as GateFailure {
            result.notRunnable = f.message
            return EPERM
        } catch {
            return EPERM
        }
    }

    private static func posixSpawn(path: String, argv: [String], environment: [String], out: Int32, err: Int32, pid: inout pid_t) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out, 1)
        posix_spawn_file_actions_adddup2(&actions, err, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Its own process group, so a timeout kills what it started too.
        posix_spawnattr_setpgroup(&attr, 0)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attr, &mask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer { for p in cArgv + cEnv { free(p) } }
        return posix_spawn(&pid, path, &actions, &attr, cArgv, cEnv)
    }

    private static func collect(pid: pid_t, out outRead: Int32, err errRead: Int32, began: UInt64, timeoutSeconds: UInt64, maxBytes: Int,
                                into initial: Result) -> Result {
        var result = initial
        let deadline = began + timeoutSeconds * 1_000_000_000
        var open = [outRead, errRead]
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while !open.isEmpty {
            let now = System.monotonicNanos()
            if now >= deadline { result.timedOut = true; break }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let waitMs = Int32(min(1000, (deadline - now) / 1_000_000 + 1))
            let n = poll(&fds, nfds_t(fds.count), waitMs)
            if n < 0 { if errno == EINTR { continue }; break }
            for f in fds where f.revents != 0 {
                let got = chunk.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, $0.count) }
                if got <= 0 { open.removeAll { $0 == f.fd }; continue }
                if f.fd == outRead {
                    let room = maxBytes - result.stdout.count
                    result.stdout += chunk[0..<min(got, max(0, room))]
                    if got > room { result.truncated = true }
                } else if result.stderr.count < stderrCap {
                    result.stderr += chunk[0..<min(got, stderrCap - result.stderr.count)]
                }
            }
            if result.truncated { break }
        }
        if result.timedOut || result.truncated { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        result.exit = ChildExit(waitStatus: status)
        result.durationMs = Int64((System.monotonicNanos() - began) / 1_000_000)
        return result
    }
}
