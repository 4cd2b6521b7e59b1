import GateCore
import GateMCP
import GateSystem
import GateWire
import Glibc

/// The I/O side of `gate mcp`: one poll loop over standard input and the pipes of the tool
/// calls in flight (each a forked child running gate's own code: MCPJob). Single-threaded, so
/// a call that waits an hour for approval never blocks `ping`, `tools/list` or a cancellation.
struct MCPServerLoop {
    var session = MCPSession(serverVersion: GateVersion.string)
    let agent: String?
    let maxOutput: Int
    let scratch: String
    var jobs: [MCPJob] = []
    var input: [UInt8] = []
    var discarding = false
    var nextJob = 0
    static let maxJobs = 16

    init(agent: String?, maxOutput: Int) throws {
        self.agent = agent
        self.maxOutput = maxOutput
        // Private scratch space for the runs' --json-status reports.
        let base = System.envNonEmpty("XDG_RUNTIME_DIR").flatMap { Files.exists($0) ? $0 : nil } ?? "/tmp"
        var template = Array("\(base)/gate-mcp-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw GateFailure.config("cannot make a private directory under \(base): \(System.errnoString())") }
        scratch = String(cString: made)
    }

    mutating func serve() throws {
        signal(SIGPIPE, SIG_IGN)
        defer { rmdir(scratch) }
        // A child's end wakes the loop at once (a self-pipe written by the SIGCHLD handler), so
        // an answer never waits for a poll timeout.
        let wake = try SignalPipe([SIGCHLD])
        var open = true
        while open || !jobs.isEmpty {
            var fds = [pollfd(fd: open ? 0 : -1, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0)]
            for job in jobs { fds += job.pollFDs() }
            _ = poll(&fds, nfds_t(fds.count), jobs.isEmpty ? -1 : 1000)
            if fds[1].revents != 0 { _ = wake.drain() }
            if open && fds[0].revents != 0 { open = readInput() }
            // The client is gone: requests still waiting for a decision are withdrawn (as Ctrl-C
            // would); a command already running is left to finish and be recorded.
            if !open { for i in jobs.indices where jobs[i].waiting && !jobs[i].interrupted { jobs[i].interrupt() } }
            for i in jobs.indices { jobs[i].pump(progress: { Self.writeLine($0) }) }
            var still: [MCPJob] = []
            for var job in jobs {
                if job.reap() {
                    if let reply = job.result() { writeLine(reply) }
                    job.cleanUp()
                } else {
                    still.append(job)
                }
            }
            jobs = still
        }
    }

    /// Reads what is there; false at end of input.
    mutating func readInput() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = read(0, &buffer, buffer.count)
        if n < 0 { return errno == EINTR || errno == EAGAIN }
        if n == 0 { return false }
        for byte in buffer[0..<n] {
            if byte == 10 {
                if !discarding { handle(input) }
                input.removeAll(keepingCapacity: true)
                discarding = false
            } else if !discarding {
                input.append(byte)
                if input.count > JSONRPC.maximumLine {
                    writeLine(JSONRPC.error(.null, RPCError(RPCError.invalidRequest, "a message is longer than \(JSONRPC.maximumLine) bytes")))
                    input.removeAll()
                    discarding = true
                }
            }
        }
        return true
    }

    mutating func handle(_ bytes: [UInt8]) {
        var line = bytes
        if line.last == 13 { line.removeLast() }
        guard !line.isEmpty else { return }
        guard let text = String(validating: line, as: UTF8.self) else {
            writeLine(JSONRPC.error(.null, RPCError(RPCError.parseError, "a message is not UTF-8")))
            return
        }
        switch session.handle(text) {
        case .none: break
        case .reply(let r): writeLine(r)
        case .cancel(let id):
            for i in jobs.indices where jobs[i].id == id { jobs[i].cancelled = true; jobs[i].interrupt() }
        case .call(let id, let call, let token):
            if jobs.contains(where: { $0.id == id }) {
                writeLine(JSONRPC.error(id, RPCError(RPCError.invalidRequest, "a call with this id is still running")))
                return
            }
            guard jobs.count < Self.maxJobs else {
                writeLine(JSONRPC.error(id, RPCError(RPCError.internalError, "\(Self.maxJobs) calls are running already; try again when one ends")))
                return
            }
            if let cwd = call.cwd, !(Files.info(cwd)?.isDirectory ?? false) {
                writeLine(JSONRPC.error(id, RPCError(RPCError.invalidParams, "cwd \(cwd) is not a directory")))
                return
            }
            nextJob += 1
            do {
                jobs.append(try MCPJob.start(id: id, call: call, progressToken: token, agent: agent, maxOutput: maxOutput,
                                             statusPath: Paths.join(scratch, "call-\(nextJob).json")))
            } catch {
                writeLine(JSONRPC.error(id, RPCError(RPCError.internalError, "cannot start the call: \(error)")))
            }
        }
    }

    func writeLine(_ line: String) { Self.writeLine(line) }
    static func writeLine(_ line: String) { System.write(1, line + "\n") }
}

extension MCPTools.Call {
    var cwd: String? {
        switch self {
        case .run(let r): return r.cwd
        case .explain(_, let cwd): return cwd
        case .status: return nil
        }
    }
}
