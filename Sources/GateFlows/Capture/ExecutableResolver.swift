import Glibc
import GateStore
import GateSystem

/// Finds the file `argv[0]` will run, the way execvp would, and says what it is: its canonical
/// path (what exec runs and patterns see), and the paths it was reached by through trusted
/// directories (what bare-name patterns see, MatchContext.trustedAliases). gate spawns the canonical path, never
/// searching PATH a second time.
public enum ExecutableResolver {
    public static let defaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    public struct Resolved: Sendable {
        /// Canonical: symlinks resolved, no `.`, `..` or `//`.
        public var path: String
        /// The links (and the file) on the walk from the spelled path to `path` whose canonical
        /// directory is trusted, each as that directory joined with its name.
        public var trustedAliases: [String]
    }

    /// Where the requester's PATH (or a path typed with `/`) leads, as an absolute spelling.
    public static func resolve(_ name: String, cwd: String, searchPath: String? = System.env("PATH")) throws -> String {
        guard !name.isEmpty else { throw GateFailure(.notFound, "empty command name") }
        // A `/` byte makes it a path, as for execve and the shell, whatever Character it is part
        // of (`x/` + U+0301 + `true` is one to the kernel, not a name to look up in PATH).
        if name.utf8.contains(UInt8(ascii: "/")) {
            let path = Paths.absolute(name, cwd: cwd)
            try checkRunnable(path, name: name)
            return path
        }
        var sawNonExecutable: String?
        for dir in (searchPath ?? defaultSearchPath).split(separator: ":", omittingEmptySubsequences: false) {
            let base = dir.isEmpty ? cwd : Paths.absolute(String(dir), cwd: cwd)
            let candidate = Paths.join(base, name)
            guard let info = Files.info(candidate), info.isRegular else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            sawNonExecutable = sawNonExecutable ?? candidate
        }
        if let path = sawNonExecutable {
            throw GateFailure(.notExecutable, "\(path): permission denied (not executable)")
        }
        throw GateFailure(.notFound, "\(name): command not found", hint: "check the name and PATH")
    }

    /// Resolves `name` and canonicalises it against the policy's trusted directories.
    public static func resolveCanonical(_ name: String, cwd: String, trustedPath: [String]) throws -> Resolved {
        let spelled = try resolve(name, cwd: cwd)
        return try canonical(spelled, trusted: TrustedDirectories(trustedPath))
    }

    /// Follows `spelled` link by link to the file itself. Each step counts as an alias when the
    /// directory holding it (canonically) is trusted: `/bin/sh` → `dash` gives [/usr/bin/sh,
    /// /usr/bin/dash]; `$HOME/bin/ls` → `/usr/bin/bash` gives [/usr/bin/bash], never an `ls`.
    static func canonical(_ spelled: String, trusted: TrustedDirectories) throws -> Resolved {
        var current = spelled
        var aliases: [String] = []
        for _ in 0..<40 {
            let dir = try realDirectory(Paths.parent(of: current), for: spelled)
            let base = Paths.basename(current)
            guard base != "." && base != ".." && current.utf8.last != UInt8(ascii: "/") else {
                throw GateFailure(.notExecutable, "\(spelled): not a regular file")
            }
            let here = Paths.join(dir, base)
            if trusted.contains(dir), !aliases.contains(where: { $0.utf8.elementsEqual(here.utf8) }) { aliases.append(here) }
            guard let target = readLink(here) else { return Resolved(path: here, trustedAliases: aliases) }
            current = Paths.absolute(target, cwd: dir)
        }
        throw GateFailure(.notExecutable, "\(spelled): too many levels of symbolic links")
    }

    static func realDirectory(_ dir: String, for spelled: String) throws -> String {
        guard let real = Paths.real(dir) else {
            throw GateFailure(.notFound, "\(spelled): cannot resolve \(dir): \(String(cString: strerror(errno)))")
        }
        return real
    }

    /// The target of a symbolic link, nil when `path` is not one.
    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func checkRunnable(_ path: String, name: String) throws {
        guard let info = Files.info(path) else {
            throw GateFailure(.notFound, "\(name): no such file")
        }
        guard info.isRegular else { throw GateFailure(.notExecutable, "\(name): not a regular file") }
        guard access(path, X_OK) == 0 else { throw GateFailure(.notExecutable, "\(name): permission denied (not executable)") }
    }
}

/// The policy's trusted directories as they are on this host, canonical. Only those no one but
/// root controls get here (PolicyLoader): a directory the requester can write is not trusted,
/// whatever the policy says.
struct TrustedDirectories {
    /// An array, not a Set: a handful of entries, and the first use of hashing costs an allowed
    /// run more than the look-ups ever would (callgrind).
    let canonical: [String]

    init(_ dirs: [String]) {
        var set: [String] = []
        for dir in dirs {
            guard let real = Paths.real(dir) else { continue }
            // The loaded policy's trusted path holds only root-controlled directories already
            // (PolicyLoader filters it with FileSafety.isRootControlled).
            guard let info = Files.info(real), info.isDirectory else { continue }
            if !set.contains(real) { set.append(real) }
        }
        canonical = set
    }

    func contains(_ dir: String) -> Bool { canonical.contains(dir) }
}
