import ArgumentParser
import GateClient
import GateCore
import GateCrypto
import GateDaemon
import GateFlows
import GateStore
import GateSystem
import GateWire
import Glibc
import GateRun

/// `gate daemon`: the enforcing mode. It runs as root (a system service: examples/gate-daemon.service),
/// owns the state directory, the ledger and its key, and starts approved commands as the rule's
/// `as=` user; requesters and approvers reach it through its socket (GATE_SOCKET) and need no
/// access to anything of gate's.
struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the gate daemon in the foreground (enforcing mode: commands run as the policy's as= user).",
        discussion: """
            Clients set GATE_SOCKET to the socket; who asks is the socket's peer credentials. The \
            state directory ($GATE_HOME, default /var/lib/gate) must belong to the daemon's user and be \
            writable by no one else; the policy is $GATE_POLICY (default /etc/gate/policy). SIGTERM \
            stops it: it accepts no more clients, passes SIGTERM to the commands it started, records \
            how they ended and exits. GATE_DAEMON_PREPARED=N keeps N workers forked ahead of requests \
            with the state database open (default 2; 0 forks each at its request).
            """)

    @Option(help: ArgumentHelp("The socket to listen on.", valueName: "path")) var socket: String = DaemonWire.defaultSocket
    @Option(help: ArgumentHelp("The state directory (default $GATE_HOME, else /var/lib/gate).", valueName: "dir")) var state: String?
    @Option(help: ArgumentHelp("The policy (default $GATE_POLICY, else /etc/gate/policy).", valueName: "file")) var policy: String?

    func run() throws {
        // A crash report would go to a requester's terminal from a fork of this root process
        // (its registers and memory): the runtime reads this only at start, so start again.
        if System.env("SWIFT_BACKTRACE") != "enable=no" {
            setenv("SWIFT_BACKTRACE", "enable=no", 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
        }
        // Made absolute here, against the daemon's own directory: a worker serves from the
        // client's working directory, where a relative path would name the client's choice of
        // policy and ledger (the attack round: `id` ran as root under a policy found through a
        // link in the requester's directory, and was recorded in a ledger made there).
        let cwd = try System.currentDirectory()
        let home = Paths.absolute(state ?? System.envNonEmpty("GATE_HOME") ?? "/var/lib/gate", cwd: cwd)
        let environment = GateEnvironment(home: home, policyPath: Paths.absolute(policy ?? System.envNonEmpty("GATE_POLICY") ?? "/etc/gate/policy", cwd: cwd))
        // A prepared worker opens the state database before its request arrives (the same for
        // every request), so a request does not wait for that.
        var configuration = DaemonServer.Configuration(socketPath: Paths.absolute(socket, cwd: cwd), environment: environment)
        if let n = System.envNonEmpty("GATE_DAEMON_PREPARED").flatMap(Int.init) { configuration.preparedWorkers = max(0, min(n, 16)) }
        let server = DaemonServer(configuration, prepare: {
            Store.prepare(environment)
            // What every request does first, once before it arrives: the runtime's first-use work
            // (type metadata, libsodium's CPU probe) and the copy-on-write of the pages it
            // touches. The request loads the policy again; this copy is not used.
            _ = try? PolicyLoader.load(environment.policyPath)
            _ = BLAKE2b.hash([])
        }, handler: DaemonRequests.serve)
        try server.serve {
            System.write(2, "gate: daemon listening on \(configuration.socketPath) (state \(environment.home), policy \(environment.policyPath))\n")
        }
    }
}

/// What a daemon's worker does with one client's request (SPEC.md §10 lists the operations).
/// Every operation reads its arguments from the request, never a file the client names: the
/// worker runs as the daemon's user.
enum DaemonRequests {
    static func serve(_ request: JSON, reply: (JSON) -> Void) -> Int32 {
        do {
            let approver = try isApprover()
            if !approver { DaemonWorkerMode.onlyRequestsOf = DaemonWorkerMode.requester?.user }
            switch request["op"]?.stringValue {
            case "run": try run(request, reply: reply)
            case "cli": return try cli(request, approver: approver)
            case "get":
                guard approver else { throw GateFailure.denied("only approvers fetch requests to decide them") }
                try get(request, reply: reply)
            case "decide": reply(try DaemonDecision.record(request["token"]?.stringValue ?? "", review: request["review"] == .bool(true)))
            default: throw GateFailure.usage("the daemon does not know the operation '\(request["op"]?.stringValue ?? "")'")
            }
            return 0
        } catch let f as GateFailure {
            Diagnostics.error(f.message, hint: f.hint)
            return f.exitCode.rawValue
        } catch {
            Diagnostics.error("\(error)")
            return ExitCode.software.rawValue
        }
    }

    private static func run(_ request: JSON, reply: (JSON) -> Void) throws -> Never {
        var inv = RunInvocation()
        inv.command = (request["argv"]?.arrayValue ?? []).compactMap(\.stringValue)
        // The ledger records what was asked: bounded here, as the kernel bounds a local gate's argv.
        guard inv.command.count <= 4096, inv.command.reduce(0, { $0 + $1.utf8.count }) <= 256 << 10 else {
            throw GateFailure.usage("through the gate daemon a command has at most 4096 arguments and 256 KiB of them")
        }
        inv.reason = request["reason"]?.stringValue ?? ""
        inv.ticket = request["ticket"]?.stringValue ?? ""
        inv.timeout = request["timeout"]?.stringValue
        inv.breakGlass = request["break_glass"] == .bool(true)
        inv.noWait = request["no_wait"] == .bool(true)
        inv.pickUp = request["request"]?.stringValue
        let tokens = (request["tokens"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard request["json_status"] == .bool(true) else { try inv.executeHere(tokens: tokens) }
        // The report goes back to the client as a message; executeHere never returns.
        try withoutActuallyEscaping(reply) { sink throws -> Never in
            inv.reportSink = sink
            try inv.executeHere(tokens: tokens)
        }
    }

    /// `gate list`, `show` and `log` as the client typed them: only these, never with a server,
    /// never through a pager (which would run as the daemon).
    private static func cli(_ request: JSON, approver: Bool) throws -> Int32 {
        var args = (request["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard let first = args.first, ["list", "show", "log", "status", "wait", "cancel"].contains(first) else {
            throw GateFailure.usage("through the daemon, only list, show, log, status, wait and cancel are asked this way")
        }
        if first == "log" && !approver {
            throw GateFailure.denied("through the gate daemon, the ledger is for approvers (and root); gate list and gate show show your own requests")
        }
        if args.contains(where: { $0 == "--server" || $0.hasPrefix("--server=") }) {
            throw GateFailure.usage("--server does not go through the daemon")
        }
        if first == "show" { args.append("--no-pager") }
        do {
            var command = try GateCommand.parseAsRoot(args)
            try command.run()
        } catch let f as GateFailure {
            throw f
        } catch {
            // Help, or a usage error, as the command line would print it.
            let code = GateCommand.exitCode(for: error)
            if code == .success {
                System.write(1, GateCommand.fullMessage(for: error) + "\n")
                return 0
            }
            throw GateFailure.usage(GateCommand.message(for: error), hint: "see 'gate --help'")
        }
        return 0
    }

    /// Root, or a user the policy names as an approver: sees every request and the ledger.
    private static func isApprover() throws -> Bool {
        guard let peer = DaemonWorkerMode.requester else { return false }
        if peer.uid == 0 { return true }
        let policy = try PolicyLoader.load(try GateEnvironment.current().policyPath)
        return policy.approvers.contains { TextSearch.sameBytes($0.user, peer.user) }
    }

    private static func get(_ request: JSON, reply: (JSON) -> Void) throws {
        let found = try DaemonDecision.find(request["id"]?.stringValue ?? "", toApprove: request["to_approve"] == .bool(true))
        reply(.object([("request", found)]))
    }
}

/// The client's side of `list`, `show` and `log` with GATE_SOCKET: the daemon's worker prints
/// straight to this process's standard output and error.
enum DaemonRouting {
    static func forward(_ daemon: DaemonClient) throws -> Never {
        let args = Array(CommandLine.arguments.dropFirst())
        exit(try daemon.call(.object([("op", .string("cli")), ("args", .array(args.map(JSON.string)))])))
    }
}
