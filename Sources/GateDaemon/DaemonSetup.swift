import Glibc
import GateClient
import GateSystem

/// What the daemon checks and prepares before it serves anyone (doas's rule: configuration that
/// others can change is refused, not trusted).
enum DaemonSetup {
    /// The state directory is the daemon's alone: made 0700 when missing; owned by the daemon's
    /// user and writable by no one else when present, and so is the database in it.
    static func checkState(_ environment: GateEnvironment) throws {
        let home = environment.home
        if Files.info(home) == nil {
            do { try Files.makeDirectories(home, mode: 0o700) } catch let e as FileError {
                throw GateFailure.config("cannot make the state directory \(home): \(e.message)")
            }
        }
        for (path, what) in [(home, "state directory"), (environment.databasePath, "state database")] {
            guard let info = Files.info(path) else { continue }
            if info.owner != geteuid() {
                throw GateFailure.config("\(what) \(path) belongs to uid \(info.owner), not to the daemon (uid \(geteuid()))",
                                         hint: "chown -R \(geteuid()) \(home); requesters need no access to it")
            }
            if info.mode & 0o022 != 0 {
                throw GateFailure.config("\(what) \(path) is writable by group or others (mode \(String(info.mode, radix: 8))): anyone who can write it can forge history",
                                         hint: "chmod go-w \(path) (0700 for the directory)")
            }
        }
        try FileSafety.checkPolicy(environment.policyPath)
        guard Files.exists(environment.policyPath) else {
            throw GateFailure.config("no policy at \(environment.policyPath)", hint: "write one (gate-policy(5)); gate policy check FILE validates it")
        }
    }

    /// Binds the socket, world-connectable (who connects is read from the socket, and every
    /// request is judged by the policy), in a directory made 0755 when missing. A stale socket
    /// left by a daemon that died is replaced; a live one, or anything that is not a socket, is not.
    static func listen(_ path: String) throws -> Int32 {
        let dir = Paths.parent(of: path)
        if Files.info(dir) == nil {
            do { try Files.makeDirectories(dir, mode: 0o755) } catch let e as FileError {
                throw GateFailure.config("cannot make the socket's directory \(dir): \(e.message)")
            }
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else {
                throw GateFailure.config("\(path) exists and is not a socket; refusing to replace it")
            }
            if let probe = try? DaemonWire.connect(path) {
                close(probe)
                throw GateFailure.config("a gate daemon already listens on \(path)")
            }
            unlink(path)
        }
        let fd = try DaemonWire.bindListener(path)
        chmod(path, 0o666)
        return fd
    }
}
