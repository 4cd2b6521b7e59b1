import GateCore
import Glibc
import GateSystem
import GateFlows
import GateClient
import GateWire

/// What `gate run` does, shared by the argument-parser command and the fast path in FastRun.
package struct RunInvocation {
    package var reason = ""
    package var ticket = ""
    package var timeout: String?
    package var tokens: [String] = []
    package var breakGlass = false
    package var server: String?
    package var noWait = false
    package var pickUp: String?
    package var jsonStatus: String?
    /// In a daemon's worker: where `--json-status`'s report goes (a message to the client, which
    /// writes the file as itself).
    package var reportSink: ((JSON) -> Void)?
    package var command: [String] = []

    package init() {}

    package func execute() throws -> Never {
        guard !command.isEmpty else {
            throw GateFailure.usage("no command given", hint: "gate -- COMMAND [ARG...]")
        }
        try ArgvCheck.requireExactUTF8(count: command.count)
        var given = tokens
        if given.isEmpty, let env = System.envNonEmpty("GATE_TOKEN") { given = [env] }
        let resolved = try given.map(TokenSource.read)
        if let daemon = DaemonClient.configured() {
            guard server == nil else { throw GateFailure.usage("--server and the gate daemon (GATE_SOCKET) do not go together") }
            let status: Int32
            var reported: JSON?
            do {
                status = try daemon.call(daemonRequest(tokens: resolved), withDirectory: true) { message in
                    if let report = message["report"] { reported = report }
                }
            } catch let f as GateFailure {
                writeStatus(RunReport(), status: f.exitCode.rawValue, message: f.message)
                throw f
            }
            if let reported { writeStatusJSON(reported) } else { writeStatus(RunReport(), status: status, message: nil) }
            exit(status)
        }
        try executeHere(tokens: resolved)
    }

    /// What the daemon is asked: everything the flow needs but the requester, which the daemon
    /// reads from the socket, and the token files, which are read here, by the requester.
    private func daemonRequest(tokens: [String]) -> JSON {
        .object([("op", .string("run")), ("argv", .array(command.map(JSON.string))), ("reason", .string(reason)),
                 ("ticket", .string(ticket)), ("timeout", timeout.map(JSON.string) ?? .null), ("tokens", .array(tokens.map(JSON.string))),
                 ("break_glass", .bool(breakGlass)), ("no_wait", .bool(noWait)), ("request", pickUp.map(JSON.string) ?? .null),
                 ("json_status", .bool(jsonStatus != nil)),
                 ("env", .array(DaemonClient.environment()))])
    }

    /// Runs the flow in this process: the requester's own gate, or a daemon's worker.
    package func executeHere(tokens: [String]) throws -> Never {
        var options = RunFlow.Options(argv: command)
        options.reason = reason
        options.ticket = ticket
        options.breakGlass = breakGlass
        options.server = server
        if let timeout {
            guard let d = GateDuration(parsing: timeout) else {
                throw GateFailure.usage("--timeout '\(timeout)' is not allowed: a duration from 1s to 366d", hint: "a number and a unit: 90s, 15m, 2h, 1h30m, 7d")
            }
            options.timeoutSeconds = d.seconds
        } else if !(System.isTerminal(0) && System.isTerminal(2)) {
            options.timeoutSeconds = 30 * 60
        }
        options.tokens = tokens
        options.noWait = noWait
        options.pickUp = pickUp
        let report = options.report
        let status: Int32
        do { status = try RunFlow(options: options).run() } catch let pending as RunPending {
            report.outcome = "pending"
            writeStatus(report, status: ExitCode.tempFail.rawValue, message: "request \(pending.id) is pending")
            Self.sayPending(pending.id, command: command)
            exit(ExitCode.tempFail.rawValue)
        } catch let f as GateFailure {
            writeStatus(report, status: f.exitCode.rawValue, message: f.message)
            throw f
        }
        writeStatus(report, status: status, message: nil)
        exit(status)
    }

    /// `--no-wait`: the id on standard output (for a script), what comes next on standard error.
    static func sayPending(_ id: RequestID, command: [String]) {
        System.write(1, "\(id)\n")
        Diagnostics.note("request \(id) is pending; not waiting (--no-wait): exit 75")
        Diagnostics.note("later, to run it once approved: gate run --request \(id) -- \(ShellQuote.join(command))")
    }

    /// `--json-status FILE`, written whatever the outcome; a file that cannot be written is said,
    /// and does not change the run's status (the command may already have run).
    func writeStatus(_ report: RunReport, status: Int32, message: String?) {
        let json = report.json(status: status, message: message)
        if let reportSink { reportSink(.object([("report", json)])); return }
        writeStatusJSON(json)
    }

    /// A regular file (made if missing), never through a symlink, and never blocking: a FIFO or
    /// a device named there is refused with a warning, after the run it reports on.
    func writeStatusJSON(_ json: JSON) {
        guard let path = jsonStatus else { return }
        let fd = open(Paths.expandTilde(path), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard fd >= 0 else {
            Diagnostics.warning("cannot write --json-status \(path): \(System.errnoString(errno))")
            return
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            Diagnostics.warning("--json-status \(path) is not a regular file; nothing written")
            return
        }
        _ = ftruncate(fd, 0)
        System.write(fd, json.serialized(pretty: true) + "\n")
    }
}

enum TokenSource {
    /// `TOKEN` or `@FILE`.
    static func read(_ value: String) throws -> String {
        guard value.hasPrefix("@") else { return value }
        let path = String(value.dropFirst())
        do { return try Files.readText(path, limit: 65536) } catch let e as FileError {
            throw GateFailure.usage("cannot read token file: \(e)")
        }
    }
}

/// Swift decodes argv as UTF-8 and repairs invalid bytes; gate must not run (or record) anything
/// other than the exact bytes given, so an argument that is not valid UTF-8 is refused.
enum ArgvCheck {
    static func requireExactUTF8(count: Int) throws {
        let argc = Int(CommandLine.argc)
        for i in max(0, argc - count)..<argc {
            guard let p = CommandLine.unsafeArgv[i] else { continue }
            let raw = UnsafeRawBufferPointer(start: p, count: strlen(p))
            if String(validating: raw, as: UTF8.self) == nil {
                throw GateFailure.usage("argument \(i - (argc - count)) of the command is not valid UTF-8; gate records and matches argv exactly and cannot represent it")
            }
        }
    }
}
