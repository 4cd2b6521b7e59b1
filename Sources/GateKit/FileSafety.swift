/// Refuses configuration and key files that someone else could have changed or read (doas, ssh).
public enum FileSafety {
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
