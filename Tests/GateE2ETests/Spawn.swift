import Foundation
import Testing

/// Starts processes for the tests with posix_spawn and reaps them with waitpid.
/// Foundation's Process was not used: in this test process it left children unreaped (zombies
/// that `isRunning` kept reporting as running) once a tmux server had been forked, which hung
/// the suite.
struct Spawned {
    let pid: pid_t
    let out: String
    let err: String
    let cleanup: [String]

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts `argv` (PATH-searched) with exactly `env`, in `cwd`, stdin from `stdin` (a path) or
    /// /dev/null, stdout and stderr captured to files.
    static func start(_ argv: [String], env: [String: String]? = nil, cwd: String? = nil, stdin: String? = nil) throws -> Spawned {
        let dir = FileManager.default.temporaryDirectory.path
        let tag = UUID().uuidString.prefix(10)
        let out = "\(dir)/gate-spawn-\(tag).out", err = "\(dir)/gate-spawn-\(tag).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // A clean signal state for the child, whatever the test runner's threads have blocked.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // posix_spawn_file_actions_addchdir_np does not import here; env -C changes directory.
        let command = cwd.map { ["/usr/bin/env", "-C", $0] + argv } ?? argv
        let cArgv = command.map { strdup($0) } + [nil]
        let environment = env ?? ProcessInfo.processInfo.environment
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgv + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, command[0], &actions, &attr, cArgv, cEnv)
        guard rc == 0 else { throw SandboxError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return Spawned(pid: pid, out: out, err: err, cleanup: [out, err])
    }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// True while the process has not exited (does not reap it).
    var isRunning: Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == 0
    }

    func finish(timeout: TimeInterval = 60) -> Output {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if Date() > deadline {
                Issue.record("process \(pid) did not finish within \(timeout)s")
                kill(pid, SIGKILL)
            }
            usleep(2000)
        }
        let low = status & 0x7f
        let code: Int32 = low == 0 ? (status >> 8) & 0xff : 128 + low
        defer { cleanup.forEach { unlink($0) } }
        return Output(status: code, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    static func run(_ argv: [String], env: [String: String]? = nil, cwd: String? = nil, stdin: String? = nil,
                    timeout: TimeInterval = 60) throws -> Output {
        try start(argv, env: env, cwd: cwd, stdin: stdin).finish(timeout: timeout)
    }
}
