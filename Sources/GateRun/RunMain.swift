import GateClient
import GateSystem
import Glibc

/// `gate` itself: the hot path, and nothing else. `gate [run] [OPTIONS] -- CMD` (hand-parsed by
/// FastRun), `gate hook claude-code` and `gate --version` run here; every other command line is
/// handed, unchanged, to gate-commands beside this binary, which holds argument-parser and the
/// other commands. Why two binaries: argument-parser links FoundationEssentials, whose relocations
/// and page faults cost each start about 0.3 ms whether or not a command uses it (BENCHMARKS.md,
/// issue 17), and an agent pays the start on every tool call.
public enum RunMain {
    public static func main() -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        exitAfter {
            if let hot = hotPath(arguments) { try hot() }
            let what = arguments.first.map { "gate \($0)" } ?? "gate without arguments"
            try SiblingExecutable.exec("gate-commands", argv0: "gate", ownArgumentsFrom: 1, what: what)
        }
    }

    /// What this binary does itself for `arguments`, nil for what argument-parser decides. The
    /// same in both binaries, so `gate-commands -- CMD` is `gate -- CMD`.
    package static func hotPath(_ arguments: [String]) -> (() throws -> Never)? {
        if arguments.first == "serve" {
            return { try SiblingExecutable.exec("gate-server", argv0: "gate-server", ownArgumentsFrom: 2, what: "gate serve") }
        }
        if let fast = FastRun.parse(arguments) { return { try fast.execute() } }
        if arguments == ["hook", "claude-code"] { return { try ClaudeCodeHook.run() } }
        if arguments == ["--version"] { return { System.write(1, GateVersion.string + "\n"); exit(0) } }
        return nil
    }

    /// gate's own failure for `error`, said on stderr, and its exit status; nil for any other
    /// error (argument-parser's, which gate-commands words itself).
    package static func report(_ error: Error) -> Int32? {
        switch error {
        case let f as GateFailure:
            Diagnostics.error(f.message, hint: f.hint)
            return f.exitCode.rawValue
        case let reported as DaemonClient.Reported:
            return reported.status
        default:
            return nil
        }
    }

    static func exitAfter(_ body: () throws -> Void) -> Never {
        do {
            try body()
            exit(0)
        } catch {
            if let status = report(error) { exit(status) }
            Diagnostics.error("internal error: \(error)")
            exit(ExitCode.software.rawValue)
        }
    }
}
