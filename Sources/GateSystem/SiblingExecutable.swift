import Glibc

/// gate's other executables, run from the directory this one was started from. `gate serve …` is
/// gate-server (linking Hummingbird would cost every gate command ~2 ms of start-up: BENCHMARKS.md,
/// issue 5), and every command but the hot path is gate-commands (argument-parser and the
/// FoundationEssentials it links cost every `gate -- CMD` a third of a millisecond: issue 17).
/// To people both are still `gate …`.
public enum SiblingExecutable {
    /// `name` in the directory of this process's own executable (the file, not a symlink to it).
    public static func path(_ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Paths.join(Paths.parent(of: exe), name)
    }

    /// Replaces this process with `name` (argv[0] `argv0`) and `arguments`; the environment and
    /// descriptors are this process's. `what` says what needed it when it is missing.
    public static func exec(_ name: String, argv0: String, arguments: [String], what: String) throws -> Never {
        try exec(name, argv: [strdup(argv0)] + arguments.map { strdup($0) }, what: what)
    }

    /// The same with this process's own arguments from index `first` on, as the bytes it was
    /// given: Swift's CommandLine.arguments has already replaced bytes that are not UTF-8, and
    /// the command line handed on must be the one typed (gate refuses a command it cannot record
    /// exactly; a repaired one would run instead).
    public static func exec(_ name: String, argv0: String, ownArgumentsFrom first: Int, what: String) throws -> Never {
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup(argv0)]
        for i in min(first, Int(CommandLine.argc))..<Int(CommandLine.argc) { argv.append(CommandLine.unsafeArgv[i]) }
        try exec(name, argv: argv, what: what)
    }

    private static func exec(_ name: String, argv: [UnsafeMutablePointer<CChar>?], what: String) throws -> Never {
        guard let path = path(name), access(path, X_OK) == 0 else {
            throw GateFailure(.unavailable, "\(what) needs the \(name) executable next to gate (\(path(name) ?? "?") is missing)",
                              hint: "install gate, gate-commands and gate-server side by side: swift build -c release builds all three")
        }
        execv(path, argv + [nil])
        throw GateFailure(.unavailable, "cannot run \(path): \(System.errnoString())")
    }
}
