import CGateSpawn
import Glibc

/// A unix identity to start a command as: a user, its primary group and its supplementary groups,
/// as the user database says (initgroups), never as a requester says.
public struct Credentials: Sendable, Equatable {
    public var user: String
    public var uid: UInt32
    public var gid: UInt32
    public var groups: [UInt32]
    public var home: String
    public var shell: String

    public init(user: String, uid: UInt32, gid: UInt32, groups: [UInt32], home: String, shell: String) {
        (self.user, self.uid, self.gid, self.groups, self.home, self.shell) = (user, uid, gid, groups, home, shell)
    }

    /// How long a lookup is remembered (0: not at all, the default). The gate daemon remembers
    /// them for a few seconds: a lookup with its groups (initgroups, through NSS: files and
    /// systemd's userdb) took more system calls than the rest of a request's start, and the
    /// daemon's workers inherit what their parent remembers. A change to an account or a group
    /// takes effect within that time.
    nonisolated(unsafe) public static var rememberSeconds: UInt64 = 0
    nonisolated(unsafe) private static var remembered: [String: (Credentials?, UInt64)] = [:]

    private static func recall(_ key: String, _ find: () -> Credentials?) -> Credentials? {
        guard rememberSeconds > 0 else { return find() }
        let now = System.monotonicNanos()
        if let (c, until) = remembered[key], now < until { return c }
        let c = find()
        if remembered.count > 4096 { remembered.removeAll() }
        remembered[key] = (c, now + rememberSeconds * 1_000_000_000)
        return c
    }

    /// The account named `name` (or a numeric uid), or nil when there is none.
    public static func lookup(_ name: String) -> Credentials? {
        recall("n:" + name) { find(name) }
    }

    public static func lookup(uid: UInt32) -> Credentials? {
        recall("u:\(uid)") { find(uid: uid) }
    }

    private static func find(_ name: String) -> Credentials? {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        var found = getpwnam_r(name, &pwd, &buffer, buffer.count, &result) == 0 && result != nil
        if !found, let uid = UInt32(name) {
            found = getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0 && result != nil
        }
        guard found, let n = pwd.pw_name else { return nil }
        return make(pwd, name: String(cString: n))
    }

    private static func find(uid: UInt32) -> Credentials? {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, result != nil, let n = pwd.pw_name else { return nil }
        return make(pwd, name: String(cString: n))
    }

    private static func make(_ pwd: passwd, name: String) -> Credentials {
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        while getgrouplist(name, pwd.pw_gid, &groups, &count) < 0 {
            guard count < 65536 else { break }
            groups = [gid_t](repeating: 0, count: Int(count))
        }
        return Credentials(user: name, uid: pwd.pw_uid, gid: pwd.pw_gid, groups: Array(groups.prefix(Int(max(0, count)))),
                           home: pwd.pw_dir.map { String(cString: $0) } ?? "/",
                           shell: pwd.pw_shell.map { String(cString: $0) } ?? "/bin/sh")
    }

    /// The variables sudo and run0 set for the target user, replacing whatever the requester had.
    public var accountVariables: [(String, String)] {
        [("HOME", home), ("LOGNAME", user), ("SHELL", shell), ("USER", user)]
    }
}

/// fork, credentials, exec (CGateSpawn): for commands and providers started by the gate daemon
/// as someone other than itself.
public enum CredentialedSpawn {
    public struct Options {
        public var stdio: (Int32, Int32, Int32) = (-1, -1, -1)
        public var cwdFD: Int32 = -1
        public var newSession = false
        public var newProcessGroup = false
        public var mask: sigset_t?
        public init() {}
    }

    /// Starts `path` as `credentials`; throws the step that failed, with its errno.
    public static func spawn(path: String, argv: [String], environment: [String], as credentials: Credentials,
                             options: Options) throws -> pid_t {
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer { for p in cArgv + cEnv { free(p) } }
        var groups = credentials.groups.map { gid_t($0) }
        var mask = options.mask ?? sigset_t()
        if options.mask == nil { sigemptyset(&mask) }
        var pid: pid_t = 0
        var step: UnsafePointer<CChar>?
        let rc: Int32 = path.withCString { cPath in
            cArgv.withUnsafeBufferPointer { argvBuffer in
                cEnv.withUnsafeBufferPointer { envBuffer in
                    groups.withUnsafeMutableBufferPointer { groupBuffer in
                        withUnsafePointer(to: &mask) { maskPointer in
                            var spec = gate_spawn_spec()
                            spec.path = cPath
                            spec.argv = UnsafePointer(argvBuffer.baseAddress)
                            spec.envp = UnsafePointer(envBuffer.baseAddress)
                            spec.stdio = options.stdio
                            spec.cwd_fd = options.cwdFD
                            spec.new_session = options.newSession ? 1 : 0
                            spec.new_process_group = options.newProcessGroup ? 1 : 0
                            spec.mask = maskPointer
                            spec.set_credentials = 1
                            spec.uid = credentials.uid
                            spec.gid = credentials.gid
                            spec.groups = UnsafePointer(groupBuffer.baseAddress)
                            spec.group_count = groupBuffer.count
                            return gate_spawn(&spec, &pid, &step)
                        }
                    }
                }
            }
        }
        guard rc == 0 else {
            let what = step.map { String(cString: $0) } ?? "spawn"
            if what == "execve" {
                switch rc {
                case ENOENT: throw GateFailure(.notFound, "\(path): no such file")
                default: throw GateFailure(.notExecutable, "\(path): cannot execute as \(credentials.user): \(System.errnoString(rc))")
                }
            }
            throw GateFailure(.noPermission, "cannot start \(path) as \(credentials.user): \(what): \(System.errnoString(rc))")
        }
        return pid
    }
}

public enum ProcessControl {
    /// Every descriptor from `low` up becomes close-on-exec.
    public static func closeOnExec(from low: Int32) { gate_cloexec_from(low) }

    /// Enters the directory `fd` names as `credentials` would: a directory the requester cannot
    /// enter is not entered for them by a process that can (their descriptor may be an O_PATH one,
    /// which needs no permission on the directory itself). Returns 0 or an errno.
    public static func enterDirectory(_ fd: Int32, as credentials: Credentials) -> Int32 {
        var groups = credentials.groups.map { gid_t($0) }
        return groups.withUnsafeMutableBufferPointer { gate_fchdir_as(fd, credentials.uid, credentials.gid, $0.baseAddress, $0.count) }
    }

    /// This process gets `signal` when its parent dies.
    public static func dieWithParent(_ signal: Int32) { _ = gate_die_with_parent(signal) }
}
