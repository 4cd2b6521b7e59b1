import GateMCP
import GateSystem
import GateWire
import Glibc
import GateRun

/// One tool call in flight: a fork of `gate mcp` that runs gate's own code for it (the run flow
/// of `gate -- ARGV`, or `policy explain`, or `status`) with standard input /dev/null and its
/// output on two pipes. Forking the warm process, not exec'ing gate again, is what keeps a
/// warm call of an allowed command within a few milliseconds.
struct MCPJob {
    let id: JSON
    let call: MCPTools.Call
    let progressToken: JSON?
    let pid: pid_t
    var outFD: Int32
    var errFD: Int32
    let statusPath: String
    let maxOutput: Int
    let started = System.monotonicNanos()
    var out: [UInt8] = []
    var err: [UInt8] = []
    var outTruncated = false
    var errTruncated = false
    var pendingLine: [UInt8] = []
    var progressCount: Int64 = 0
    var status: Int32?
    var interrupted = false
    /// Waiting for approval (gate said "approval required" and has not started the command).
    var waiting = false
    /// The client cancelled it: withdrawn, and (as MCP asks) no response is sent.
    var cancelled = false

    static func start(id: JSON, call: MCPTools.Call, progressToken: JSON?, agent: String?, maxOutput: Int, statusPath: String) throws -> MCPJob {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw GateFailure.internalError("pipe: \(System.errnoString())") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw GateFailure.internalError("pipe: \(System.errnoString())")
        }
        // Close-on-exec: the command a call runs inherits only its own standard descriptors.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid = fork()
        if pid == 0 {
            let null = open("/dev/null", O_RDONLY)
            dup2(null, 0)
            dup2(outPipe[1], 1)
            dup2(errPipe[1], 2)
            signal(SIGPIPE, SIG_DFL)
            signal(SIGCHLD, SIG_DFL)
            if let agent { setenv("GATE_AGENT", agent, 1) }
            runChild(call, statusPath: statusPath)
        }
        close(outPipe[1]); close(errPipe[1])
        guard pid > 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw GateFailure.internalError("fork: \(System.errnoString())")
        }
        for fd in [outPipe[0], errPipe[0]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        return MCPJob(id: id, call: call, progressToken: progressToken, pid: pid, outFD: outPipe[0], errFD: errPipe[0],
                      statusPath: statusPath, maxOutput: maxOutput)
    }

    /// In the child: exactly what the command line would do.
    static func runChild(_ call: MCPTools.Call, statusPath: String) -> Never {
        switch call {
        case .run(let r):
            GateMain.exitAfter(arguments: []) {
                if let cwd = r.cwd, chdir(cwd) != 0 { throw GateFailure.usage("cannot change to \(cwd): \(System.errnoString())") }
                var inv = RunInvocation()
                inv.command = r.argv
                inv.reason = r.reason
                inv.ticket = r.ticket
                inv.timeout = r.timeoutSeconds.map { "\($0)s" }
                inv.jsonStatus = statusPath
                try inv.execute()
            }
        case .explain(let argv, let cwd):
            let args = ["policy", "explain", "--json", "--"] + argv
            GateMain.exitAfter(arguments: args) {
                if let cwd, chdir(cwd) != 0 { throw GateFailure.usage("cannot change to \(cwd): \(System.errnoString())") }
                var command = try GateCommand.parseAsRoot(args)
                try command.run()
            }
        case .status(let id):
            let args = ["status", id, "--json"]
            GateMain.exitAfter(arguments: args) {
                var command = try GateCommand.parseAsRoot(args)
                try command.run()
            }
        }
    }

    func pollFDs() -> [pollfd] {
        [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
    }

    /// Reads what the pipes hold; gate's own progress lines on stderr become MCP progress
    /// notifications when the client asked for them.
    mutating func pump(progress: (String) -> Void) {
        drain(&outFD, into: &out, truncated: &outTruncated)
        let before = err.count
        drain(&errFD, into: &err, truncated: &errTruncated)
        pendingLine += err[before...]
        while let nl = pendingLine.firstIndex(of: 10) {
            let line = String(decoding: pendingLine[..<nl], as: UTF8.self)
            pendingLine.removeSubrange(...nl)
            // Whether it is waiting for a decision (what a closed session withdraws) or running.
            if line.hasPrefix("gate: approval required") { waiting = true }
            if line.hasPrefix("gate: approved by") && line.hasSuffix("; running") { waiting = false }
            guard let token = progressToken, !cancelled, Self.isProgress(line) else { continue }
            progressCount += 1
            progress(JSONRPC.notification("notifications/progress", .object([
                ("progressToken", token), ("progress", .int(progressCount)), ("message", .string(String(line.dropFirst(6)))),
            ])))
        }
        if pendingLine.count > 4096 { pendingLine.removeAll() }
    }

    static func isProgress(_ line: String) -> Bool {
        ["gate: approval required", "gate: an approver runs", "gate: request page", "gate: approved by", "gate: still waiting",
         "gate: the gate server"].contains { line.hasPrefix($0) }
    }

    private func drain(_ fd: inout Int32, into buffer: inout [UInt8], truncated: inout Bool) {
        guard fd >= 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n > 0 {
                let room = max(0, maxOutput - buffer.count)
                buffer += chunk[0..<min(n, room)]
                if n > room { truncated = true }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n == 0 { close(fd); fd = -1 }
            return
        }
    }

    mutating func interrupt() {
        interrupted = true
        if status == nil { kill(pid, SIGINT) }
    }

    /// Whether it has ended (its status collected and its output read).
    mutating func reap() -> Bool {
        if status == nil {
            var st: Int32 = 0
            let r = waitpid(pid, &st, WNOHANG)
            guard r == pid else { return false }
            status = ChildExit(waitStatus: st).gateStatus
        }
        // Output still buffered in the pipes is read once more; a pipe a leftover background
        // process holds open does not keep the answer waiting.
        pump(progress: { _ in })
        return true
    }

    /// The response, or nil for a cancelled call.
    func result() -> String? {
        guard !cancelled else { return nil }
        let stdout = String(decoding: out, as: UTF8.self), stderr = String(decoding: err, as: UTF8.self)
        switch call {
        case .run:
            let report = (try? Files.readText(statusPath, limit: 1 << 20)).flatMap { try? JSON.parse($0) }
            return JSONRPC.result(id, MCPResults.run(report: report, stdout: stdout, stderr: stderr, stdoutTruncated: outTruncated,
                                                     stderrTruncated: errTruncated,
                                                     durationMs: Int64((System.monotonicNanos() - started) / 1_000_000), exitStatus: status ?? 70))
        case .explain, .status:
            if status == 0, let value = try? JSON.parse(stdout) { return JSONRPC.result(id, MCPResults.tool(value, isError: false)) }
            let message = MCPResults.gateError(in: stderr) ?? "gate ended with status \(status ?? 70)"
            return JSONRPC.result(id, MCPResults.tool(.object([("error", .string(message))]), isError: true))
        }
    }

    mutating func cleanUp() {
        for fd in [outFD, errFD] where fd >= 0 { close(fd) }
        outFD = -1
        errFD = -1
        unlink(statusPath)
    }
}
