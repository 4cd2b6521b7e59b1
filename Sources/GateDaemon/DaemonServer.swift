import Glibc
import GateClient
import GateSystem
import GateWire

/// `gate daemon`: the local service that owns the state directory, the ledger and its key, and
/// starts approved commands as the identity the policy names (run0's shape: no setuid binary;
/// the command starts from the daemon, nothing inherited from the requester but what the
/// policy keeps).
///
/// One thread, one poll loop. Each client's request is read here (bounded, with a deadline),
/// then a forked worker serves it (DaemonWorker): the requester is the socket's peer
/// credentials, the state and policy are the daemon's. While the worker runs, this loop passes
/// the client's signal bytes on to it and, when it ends, sends the client its exit status.
/// Forking a single-threaded process keeps the worker's start cheap (no exec, the runtime warm)
/// and safe (no lock held by another thread).
public final class DaemonServer {
    public struct Configuration: Sendable {
        public var socketPath: String
        public var environment: GateEnvironment
        /// Connections at once (reading a request, or served by a worker).
        public var maxClients = 512
        /// Connections and workers at once for one unix user (a worker whose client hung up
        /// still counts until it ends): one user cannot take the daemon for everyone.
        public var maxPerUser = 64
        /// Bytes of incomplete requests held for one user.
        public var maxBufferedPerUser = 16 << 20
        /// A request must arrive whole within this many seconds of connecting.
        public var requestTimeoutSeconds: UInt64 = 10
        /// Workers kept forked and prepared ahead of requests (0: fork one for each request when
        /// it arrives). A request handed to a prepared one starts without waiting for a fork and
        /// for the state database to open (BENCHMARKS.md, issue 12); each still serves one.
        public var preparedWorkers = 2
        public init(socketPath: String, environment: GateEnvironment) {
            self.socketPath = socketPath
            self.environment = environment
        }
    }

    /// Serves one request in a worker; returns the worker's exit status. Runs after
    /// DaemonWorker has set the process up (descriptors, directory, environment, requester).
    public typealias Handler = (_ request: JSON, _ reply: (JSON) -> Void) -> Int32

    struct Client {
        var inbox = DaemonInbox()
        var peer: Credentials
        var worker: pid_t = 0
        var deadline: UInt64
        var earlySignals: [UInt8] = []
    }

    let configuration: Configuration
    let handler: Handler
    /// Run in a prepared worker before it waits (opens the state database).
    let prepare: () -> Void
    /// Prepared workers waiting for a request: their pid and the daemon's end of their pair.
    private var idle: [(pid: pid_t, pair: Int32)] = []
    private var listener: Int32 = -1
    private var wake: SignalPipe?
    private var clients: [Int32: Client] = [:]
    /// Running workers: their client's connection (-1 once it hung up) and user.
    private var workers: [pid_t: (fd: Int32, uid: UInt32)] = [:]
    private var stopping = false

    public init(_ configuration: Configuration, prepare: @escaping () -> Void = {}, handler: @escaping Handler) {
        self.configuration = configuration
        self.prepare = prepare
        self.handler = handler
    }

    /// Checks the state directory, binds the socket and serves until SIGTERM or SIGINT; then it
    /// stops accepting, passes SIGTERM to the workers (they withdraw waits and record how their
    /// commands ended) and returns once they have.
    public func serve(ready: () -> Void = {}) throws {
        // What the daemon's own parent left open is not handed on to workers' commands.
        ProcessControl.closeOnExec(from: 3)
        Credentials.rememberSeconds = 5
        try DaemonSetup.checkState(configuration.environment)
        listener = try DaemonSetup.listen(configuration.socketPath)
        defer { close(listener); unlink(configuration.socketPath) }
        let wake = try SignalPipe([SIGCHLD, SIGTERM, SIGINT, SIGHUP])
        self.wake = wake
        signal(SIGPIPE, SIG_IGN)
        refill()
        ready()
        while !(stopping && workers.isEmpty) {
            var fds = [pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0)]
            if !stopping { fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            for fd in clients.keys { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), 1000)
            if n < 0 && errno != EINTR { throw GateFailure.internalError("poll: \(System.errnoString())") }
            for p in fds where p.revents != 0 {
                if p.fd == wake.readFD { drainWake(wake) }
                else if p.fd == listener { acceptClients() }
                else { readClient(p.fd) }
            }
            reap()
            dropLate()
        }
        for w in idle { kill(w.pid, SIGKILL); close(w.pair); waitpid(w.pid, nil, 0) }
        idle = []
    }

    private func drainWake(_ wake: SignalPipe) {
        for sig in wake.drain() where sig == SIGTERM || sig == SIGINT {
            if !stopping {
                stopping = true
                for (fd, c) in clients where c.worker == 0 { drop(fd) }
                for pid in workers.keys { kill(pid, SIGTERM) }
                for w in idle { kill(w.pid, SIGKILL); close(w.pair) }
                idle = []
            }
        }
    }

    private func acceptClients() {
        while true {
            guard let fd = DaemonWire.accept(listener) else { return }
            let orphans = workers.values.filter { $0.fd < 0 }
            guard clients.count + orphans.count < configuration.maxClients, let peer = PeerCredentials.of(fd) else {
                close(fd)
                continue
            }
            guard let who = Credentials.lookup(uid: peer.uid) else {
                _ = try? DaemonWire.send(fd, .object([("exit", .int(77)), ("error", .string("uid \(peer.uid) has no account on this host"))]), dontWait: true)
                close(fd)
                continue
            }
            let busy = clients.values.filter { $0.peer.uid == who.uid }.count + orphans.filter { $0.uid == who.uid }.count
            guard busy < configuration.maxPerUser else {
                _ = try? DaemonWire.send(fd, .object([("exit", .int(75)),
                                                      ("error", .string("\(who.user) already has \(busy) requests open with the gate daemon"))]), dontWait: true)
                close(fd)
                continue
            }
            clients[fd] = Client(peer: who, deadline: System.monotonicNanos() + configuration.requestTimeoutSeconds * 1_000_000_000)
        }
    }

    private func readClient(_ fd: Int32) {
        guard var c = clients[fd] else { return }
        let event = c.inbox.read(from: fd)
        switch event {
        case .nothing:
            clients[fd] = c
            let held = clients.values.filter { $0.peer.uid == c.peer.uid }.reduce(0) { $0 + $1.inbox.buffered }
            if held > configuration.maxBufferedPerUser {
                _ = try? DaemonWire.send(fd, .object([("exit", .int(75)), ("error", .string("\(c.peer.user) has too many unfinished requests in flight"))]), dontWait: true)
                drop(fd)
            }
        case .closed:
            // A client gone while its worker runs is a hangup, as a closed terminal is.
            if c.worker > 0 {
                kill(c.worker, SIGHUP)
                clients[fd] = nil
                workers[c.worker] = (-1, c.peer.uid)
                close(fd)
            } else {
                drop(fd)
            }
        case .malformed(let why):
            _ = try? DaemonWire.send(fd, .object([("exit", .int(64)), ("error", .string(why))]), dontWait: true)
            drop(fd)
        case .signals(let bytes):
            clients[fd] = c
            if c.worker > 0 { relay(bytes, to: c.worker) }
        case .request(let request, let passed):
            c.earlySignals = c.inbox.takeEarlySignals()
            clients[fd] = c
            start(fd, request: request, passed: passed)
        }
    }

    private func relay(_ bytes: [UInt8], to worker: pid_t) {
        for b in bytes {
            let sig = Int32(b)
            if sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT { kill(worker, sig) }
        }
    }

    /// What a forked worker closes first: the daemon's own descriptors, every other client's
    /// connection, and the descriptors other clients sent with requests still arriving (a
    /// worker holding another client's stdout would keep that client's reader from its EOF).
    private func daemonDescriptors() -> [Int32] {
        Array(clients.keys) + clients.values.flatMap(\.inbox.heldDescriptors) + idle.map(\.pair)
            + [listener, wake?.readFD ?? -1, wake?.writeFD ?? -1]
    }

    /// Forks prepared workers up to the configured number (not while stopping).
    private func refill() {
        while !stopping && idle.count < configuration.preparedWorkers {
            guard let (mine, theirs) = WorkerHandoff.pair() else { return }
            let others = daemonDescriptors() + [mine]
            let pid = fork()
            if pid == 0 {
                DaemonWorker.waitForRequest(pair: theirs, environment: configuration.environment, closing: others,
                                            prepare: prepare, handler: handler)
            }
            close(theirs)
            guard pid > 0 else { close(mine); return }
            idle.append((pid, mine))
        }
    }

    /// Hands the request to a prepared worker, the longest prepared first (none waits for ever
    /// behind newer ones); its pid, or nil when none took it.
    private func handOff(_ fd: Int32, request: [UInt8], passed: [Int32], peer: Credentials) -> pid_t? {
        while !idle.isEmpty {
            let w = idle.removeFirst()
            defer { close(w.pair) }
            if WorkerHandoff.send(w.pair, peer: peer, body: request, connection: fd, passed: passed) { return w.pid }
            kill(w.pid, SIGKILL)
        }
        return nil
    }

    private func start(_ fd: Int32, request: [UInt8], passed: [Int32]) {
        guard var c = clients[fd] else { return }
        if let pid = handOff(fd, request: request, passed: passed, peer: c.peer) {
            for d in passed { close(d) }
            c.worker = pid
            clients[fd] = c
            workers[pid] = (fd, c.peer.uid)
            relay(c.earlySignals, to: pid)
            refill()
            return
        }
        let pid = fork()
        if pid == 0 {
            let others = daemonDescriptors().filter { $0 != fd }
            DaemonWorker.serve(request, passed: passed, connection: fd, peer: c.peer, environment: configuration.environment,
                               daemon: DaemonWorker.detach(closing: others), handler: handler)
        }
        for d in passed { close(d) }
        guard pid > 0 else {
            _ = try? DaemonWire.send(fd, .object([("exit", .int(70)), ("error", .string("the daemon cannot fork: \(System.errnoString())"))]), dontWait: true)
            drop(fd)
            return
        }
        c.worker = pid
        clients[fd] = c
        workers[pid] = (fd, c.peer.uid)
        relay(c.earlySignals, to: pid)
    }

    private func reap() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            if let i = idle.firstIndex(where: { $0.pid == pid }) {
                // A prepared worker that died waiting (killed): replaced at the next request.
                close(idle.remove(at: i).pair)
                continue
            }
            guard let fd = workers.removeValue(forKey: pid)?.fd else { continue }
            guard fd >= 0, clients[fd] != nil else { continue }
            var answer: [(String, JSON)]
            switch ChildExit(waitStatus: status) {
            case .exited(let code):
                answer = [("exit", .int(Int64(code)))]
            case .signaled(let sig):
                answer = [("exit", .int(70)), ("error", .string("the daemon's worker for this request died of signal \(sig)"))]
            }
            _ = try? DaemonWire.send(fd, .object(answer), dontWait: true)
            clients[fd] = nil
            close(fd)
        }
    }

    /// Clients that have not sent a whole request in time are dropped; their descriptors closed.
    private func dropLate() {
        let now = System.monotonicNanos()
        for (fd, c) in clients where c.worker == 0 && now > c.deadline { drop(fd) }
    }

    private func drop(_ fd: Int32) {
        if let c = clients.removeValue(forKey: fd) { for d in c.inbox.heldDescriptors { close(d) } }
        close(fd)
    }
}
