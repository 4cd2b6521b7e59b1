import Glibc

/// Finds the file `argv[0]` will run, the way execvp would, so that gate digests and later spawns
/// exactly that file (never searching PATH a second time).
public enum ExecutableResolver {
    public static let defaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    public static func resolve(_ name: String, cwd: String, searchPath: String? = System.env("PATH")) throws -> String {
        guard !name.isEmpty else { throw GateFailure(ExitCode.notFound, "empty command name") }
        if name.contains("/") {
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
            throw GateFailure(ExitCode.notExecutable, "\(path): permission denied (not executable)")
        }
        throw GateFailure(ExitCode.notFound, "\(name): command not found", hint: "check the name and PATH")
    }

    static func checkRunnable(_ path: String, name: String) throws {
        guard let info = Files.info(path) else {
            throw GateFailure(ExitCode.notFound, "\(name): no such file")
        }
        guard info.isRegular else { throw GateFailure(ExitCode.notExecutable, "\(name): not a regular file") }
        guard access(path, X_OK) == 0 else { throw GateFailure(ExitCode.notExecutable, "\(name): permission denied (not executable)") }
    }
}
