import Glibc
import GateClient
import GateCore
import GateSystem
import GateWire

/// The forked process that serves one client. Before any gate code runs in it, it becomes that
/// client's context: the passed descriptors as its standard input, output and error, the
/// client's working directory, the client's environment (what reaches a command is still only
/// what the policy keeps), the requester from the socket's peer credentials, and the daemon's
/// state and policy. It dies with the daemon (PR_SET_PDEATHSIG): a daemon killed mid-run leaves
/// a start with no end, which `gate audit verify` reports as ended with its outcome unknown.
enum DaemonWorker {
    /// A prepared worker (DaemonServer keeps a few): forked ahead of any request, it opens what
    /// every request needs (`prepare`: the state database, the same for everyone) and waits for
    /// the daemon to hand it one client's request (WorkerHandoff). Then it serves that request
    /// exactly as a worker forked for it would, and exits: one process per request still, and
    /// nothing of any client in it before its own. A daemon that closes its end ends it.
    static func waitForRequest(pair: Int32, environment: GateEnvironment, closing: [Int32], prepare: () -> Void,
                               handler: DaemonServer.Handler) -> Never {
        let daemon = detach(closing: closing)
        prepare()
        guard let request = WorkerHandoff.receive(pair) else { _exit(0) }
        close(pair)
        serve(request.body, passed: request.passed, connection: request.connection, peer: request.peer, environment: environment,
              daemon: daemon, handler: handler)
    }

    /// What a worker does first, prepared or forked at its request: it takes the default signal
    /// handlers and mask (the daemon's write to the daemon's wake pipe, so first), dies with the
    /// daemon (and exits if the daemon is already gone), and closes what is the daemon's or
    /// other clients'. Returns the daemon's pid.
    static func detach(closing: [Int32]) -> pid_t {
        let daemon = getppid()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&action.sa_mask)
        for s in [SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { sigaction(s, &action, nil) }
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        ProcessControl.dieWithParent(SIGKILL)
        if getppid() != daemon { _exit(70) }
        for fd in closing where fd >= 0 { close(fd) }
        return daemon
    }

    /// Serves one request in a detached worker (`detach` done), then exits.
    static func serve(_ body: [UInt8], passed: [Int32], connection: Int32, peer: Credentials, environment: GateEnvironment,
                      daemon: pid_t, handler: DaemonServer.Handler) -> Never {
        DaemonWorkerMode.daemonPID = daemon

        func fail(_ message: String) -> Never {
            _ = try? DaemonWire.send(connection, .object([("exit", .int(64)), ("error", .string(message))]))
            _exit(64)
        }
        guard let request = try? JSON.parse(String(decoding: body, as: UTF8.self)), case .object = request else {
            fail("the request is not a JSON object")
        }
        guard request["op"]?.stringValue != "run" || passed.count == 4 else {
            fail("a run passes 4 descriptors: stdin, stdout, stderr and its working directory")
        }
        guard passed.count == 3 || passed.count == 4 else { fail("a request passes 3 descriptors (stdin, stdout, stderr), or 4 with its directory") }
        for (i, fd) in passed.prefix(3).enumerated() where dup2(fd, Int32(i)) < 0 { fail("cannot use descriptor \(i): \(System.errnoString())") }
        if passed.count == 4 {
            // As the requester: an O_PATH descriptor can name a directory they cannot enter.
            let rc = ProcessControl.enterDirectory(passed[3], as: peer)
            guard rc == 0 else { fail("\(peer.user) cannot enter the working directory passed: \(System.errnoString(rc))") }
            // (Checking as the requester changed the filesystem uid, which clears the death signal.)
            ProcessControl.dieWithParent(SIGKILL)
            if getppid() != daemon { _exit(70) }
        }
        for fd in passed where fd > 2 { close(fd) }
        // The connection stays open for data replies, close-on-exec so no command inherits it.
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)

        clearenv()
        let entries = request["env"]?.arrayValue ?? []
        // Bounded: every variable is matched and kept by name, and at most this many are read.
        guard entries.count <= 4096 else { fail("a request may carry at most 4096 environment variables") }
        for entry in entries {
            guard let text = entry.stringValue, let eq = text.firstIndex(of: "="), eq != text.startIndex else { continue }
            let name = String(text[..<eq])
            // gate's own variables configure the process they are read by: the daemon's state,
            // policy, server and keys are its own, not the requester's (only the agent label is
            // the requester's to say).
            if name.hasPrefix("GATE_") && name != "GATE_AGENT" { continue }
            // Nor may the requester point this root process's time zone or locale at a file
            // (glibc loads a TZ or locale given as a path): such a value is dropped.
            let value = text[text.index(after: eq)...]
            if EnvironmentReset.pointsLocaleAtAFile(name: name, value: value) { continue }
            setenv(name, String(value), 1)
        }
        DaemonWorkerMode.requester = peer
        DaemonWorkerMode.environment = environment
        let status = handler(request) { data in _ = try? DaemonWire.send(connection, data) }
        exit(status)
    }
}
