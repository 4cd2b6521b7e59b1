import CGateSpawn
import Glibc

/// Refuses configuration and key files that someone else could have changed or read (doas, ssh).
public enum FileSafety {
    /// Whether only root can change the open file `fd` (`st`, its fstat): a regular file owned by
    /// root with no group or other write bit and no access ACL (which could grant a user write).
    public static func onlyRootWrites(_ st: stat, fd: Int32) -> Bool {
        guard st.st_mode & S_IFMT == S_IFREG, st.st_uid == 0, st.st_mode & 0o022 == 0 else { return false }
        return gate_has_access_acl(fd) == 0
    }

    /// A policy decides who may run what: no one but root or the invoking user may be able to
    /// change it, nor the directory it is in (a writable directory lets the file be replaced).
    public static func checkPolicy(_ path: String) throws {
        guard let file = Files.info(path) else { return }
        guard file.isRegular else { throw GateFailure.config("policy \(path) is not a regular file") }
        try checkNotWritableByOthers(path, file, what: "policy")
        let dir = Paths.parent(of: path)
        if let d = Files.info(dir) { try checkNotWritableByOthers(dir, d, what: "policy directory") }
    }

    static func checkNotWritableByOthers(_ path: String, _ info: Files.Info, what: String) throws {
        let sticky = info.isDirectory && info.mode & 0o1000 != 0 && info.owner == 0
        if info.mode & 0o022 != 0 && !sticky {
            throw GateFailure.config("\(what) \(path) is writable by group or others (mode \(octal(info.mode))); refusing to trust it",
                                     hint: "chmod go-w \(path)")
        }
        if info.owner != 0 && info.owner != System.euid {
            throw GateFailure.config("\(what) \(path) is owned by uid \(info.owner), not by root or you; refusing to trust it",
                                     hint: "chown root \(path)")
        }
    }

    /// Whether no one but root can change what `dir` names: every component of its path as
    /// written (a link is judged by its owner) and as resolved is owned by root, and none is
    /// writable by group or others — except a sticky ancestor such as /tmp, where no one else
    /// can rename the root-owned entry below it. The directory itself is never sticky-excused.
    /// Used for the trusted path and for the directories policy patterns are resolved through.
    public static func isRootControlled(_ dir: String) -> Bool {
        guard dir.utf8.first == UInt8(ascii: "/"), let canonical = Paths.real(dir) else { return false }
        // Written as two calls, not a loop over an array of tuples: this runs on every command.
        return rootControlledComponents(dir, follow: false) && rootControlledComponents(canonical, follow: true)
    }

    /// Each prefix of `path` (which is absolute), stat'ed in place in one C buffer: this runs
    /// for every trusted directory on every command, and String slicing cost ~0.3 M instructions.
    private static func rootControlledComponents(_ path: String, follow: Bool) -> Bool {
        var buf = Array(path.utf8CString)
        let end = buf.count - 1  // the NUL
        var i = 0
        while i <= end {
            guard i == end || buf[i] == 0x2f else { i += 1; continue }
            let saved = buf[i]
            let cut = i == 0 ? 1 : i  // "/" itself, then each "/a", "/a/b", …
            let keep = buf[cut]
            buf[cut] = 0
            var st = stat()
            let rc = follow ? stat(buf, &st) : lstat(buf, &st)
            buf[cut] = keep
            buf[i] = saved
            guard rc == 0, st.st_uid == 0 else { return false }
            if st.st_mode & S_IFMT != S_IFLNK, st.st_mode & 0o022 != 0 && (i == end || st.st_mode & 0o1000 == 0) { return false }
            i += 1
        }
        return true
    }

    /// A secret key must be readable by its owner alone.
    public static func checkSecretKey(_ path: String) throws {
        guard let file = Files.info(path) else { return }
        guard file.isRegular else { throw GateFailure.config("key file \(path) is not a regular file") }
        if file.mode & 0o077 != 0 {
            throw GateFailure.config("secret key \(path) is accessible by group or others (mode \(octal(file.mode))); refusing to use it",
                                     hint: "chmod 600 \(path)")
        }
        if file.owner != System.euid {
            throw GateFailure.config("secret key \(path) belongs to uid \(file.owner), not to you; refusing to use it")
        }
    }
}
