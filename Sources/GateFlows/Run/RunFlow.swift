import GateCore
import GateCrypto
import GateWire
import Glibc
import GateSystem
import GateStore
import GateClient

/// `gate -- CMD`: capture the intent, apply the policy, obtain and verify approval, record the
/// start, run, record the end. Every way out that is not a verified run is a refusal that is
/// printed, recorded and given its exit code.
public struct RunFlow {
    public struct Options: Sendable {
        public var argv: [String]
        public var reason: String = ""
        public var ticket: String = ""
        /// nil: wait forever (on a terminal) — the CLI picks the default.
        public var timeoutSeconds: UInt64?
        /// Pre-issued tokens (`--token`, `GATE_TOKEN`), as given.
        public var tokens: [String] = []
        /// `--break-glass`: run now without approval where the policy permits it, leaving an
        /// after-review item.
        public var breakGlass = false
        /// `--server URL` (else `$GATE_SERVER`): ask for approval through a gate server.
        public var server: String?
        public init(argv: [String]) { self.argv = argv }
    }

    let options: Options
    let environment: GateEnvironment
    let store: Store
    let identity: IntentCapture.Identity
    let runID: RequestID

    public init(options: Options) throws {
        self.options = options
        environment = try GateEnvironment.current()
        store = try Store.open(environment)
        identity = .current()
        runID = RequestID(randomBytes: SecureRandom.bytes(5))
    }

    /// Runs the flow; returns the exit status for gate (the child's, when it ran).
    public func run() throws -> Int32 {
        if System.inInitialUserNamespace() == false {
            throw refuse(.denied("gate does not run commands inside a user namespace: there the user it would record and check is whatever the namespace maps",
                                 hint: "run gate outside unshare/rootless containers"), code: "user-namespace")
        }
        let policy: Policy
        let capture: IntentCapture.Captured
        do {
            policy = try PolicyLoader.load(environment.policyPath)
            capture = try IntentCapture.capture(argv: options.argv, identity: identity, trustedPath: policy.trustedPath)
        } catch let f as GateFailure {
            throw refuse(f, code: f.exitCode == ExitCode.config ? "config" : "not-runnable")
        }
        let captured = capture.intent, aliases = capture.aliases, file = capture.file
        let intent = captured
        let digest = IntentDigest(intent)
        let decision = policy.decide(MatchContext(intent: intent, trustedAliases: aliases, environment: { System.env($0) }))
        // What reaches the command: only what the policy keeps (sudo's env_reset).
        let child = EnvironmentReset.childEnvironment(Spawner.environmentVariables(), policy: policy, options: decision.options)

        // Without approval, a program runs only from where the policy's match put it: argv[0]
        // spelled through a directory the requester controls (a link to /usr/bin/python3 beside
        // a pyvenv.cfg) lets the program read that directory as its own.
        if options.breakGlass || decision.action == .allow, let why = Self.strayDirectory(options.argv[0], canonical: intent.executable, cwd: intent.cwd) {
            throw refuse(.denied(why, hint: "call it by its own path or through the trusted PATH"), code: "name-mismatch", intent: intent, digest: digest)
        }
        if options.breakGlass {
            return try breakGlass(intent: intent, digest: digest, decision: decision, policy: policy, child: child, file: file)
        }
        switch decision.action {
        case .deny(let message):
            let text = "denied by policy (\(decision.rule))" + (message.map { ": \($0)" } ?? "")
            throw refuse(.denied(text), code: "policy-deny", intent: intent, digest: digest)
        case .allow:
            var launch = Launch(intent: intent, digest: digest, request: runID.compact, rule: decision.rule, policy: policy,
                                ruleOptions: decision.options, environment: child, file: file)
            // A rule that pins the executable's digest has it checked again just before exec.
            launch.pinned = decision.line.flatMap { l in policy.rules.first { $0.line == l } }?.conditions.executableDigest != nil
            return try start(launch)
        case .require(let requirements):
            if decision.options.reasonRequired && options.reason.trimmingASCIIWhitespace().isEmpty {
                throw refuse(.denied("the policy (\(decision.rule)) requires a reason for this command", hint: "gate --reason \"why\" -- …"),
                             code: "reason-required", intent: intent, digest: digest)
            }
            if decision.options.ticketRequired && options.ticket.trimmingASCIIWhitespace().isEmpty {
                throw refuse(.denied("the policy (\(decision.rule)) requires a ticket for this command", hint: "gate --ticket CHG-1234 -- …"),
                             code: "ticket-required", intent: intent, digest: digest)
            }
            // The rule's bound files and variables become part of what is approved.
            let intent: Intent, interpreters: [String]
            do {
                (intent, interpreters) = try ContextCapture.bind(captured, options: decision.options, child: child, file: file,
                                                                 home: environment.home)
            } catch let f as GateFailure {
                throw refuse(f, code: f.exitCode == ExitCode.config ? "config" : "bind-failed", intent: captured, digest: digest)
            }
            let digest = IntentDigest(intent)
            var check = ApprovalCheck(policy: policy, requirements: requirements, requesterUser: intent.user,
                                      requestID: nil, intentDigest: digest, now: System.nowSeconds())
            check.approvalTTL = decision.options.approvalTTL
            var launch = Launch(intent: intent, digest: digest, request: runID.compact, rule: decision.rule, policy: policy,
                                ruleOptions: decision.options, environment: child, file: file)
            if !options.tokens.isEmpty { return try runWithGivenTokens(check, launch: launch) }
            let described: (context: JSON, blobs: [(digest: [UInt8], data: [UInt8])])
            do {
                described = try ContextCapture.describe(intent, options: decision.options, policy: policy, ticket: options.ticket,
                                                        child: child, trustedAliases: aliases, interpreters: interpreters,
                                                        home: environment.home)
            } catch let f as GateFailure {
                throw refuse(f, code: f.exitCode == ExitCode.config ? "config" : "context-failed", intent: intent, digest: digest)
            }
            let now = System.nowMicros()
            var record = RequestRecord(id: runID, createdMicros: now, intent: intent, reason: options.reason,
                                       rule: decision.rule, requirements: requirements, policyDigest: policy.digest,
                                       status: .pending, requesterPID: getpid())
            record.expiresMicros = decision.options.requestTTL.map { now + Int64($0) * 1_000_000 }
            record.approvalTTL = decision.options.approvalTTL
            record.ticket = options.ticket
            record.context = described.context
            // Catch Ctrl-C before the request exists, so an interrupt at any moment from here on
            // withdraws it and is recorded (instead of killing gate and leaving it pending).
            let waiter = try Waiter(watching: environment.home)
            var requested = LedgerPayload.requested(record)
            var remote: (client: RemoteClient, identity: SigningIdentity)?
            do {
                if let client = try RemoteClient.configured(options.server) {
                    let key = try RequesterKey.load()
                    // The server records and relays it; approvals still come back here to be verified.
                    _ = try client.create(record, blobs: described.blobs, as: key)
                    remote = (client, key)
                    if case .object(let fields) = requested { requested = .object(fields + [("server", .string(client.url))]) }
                }
            } catch let f as GateFailure {
                let code = f.exitCode == ExitCode.config ? "config" : f.exitCode == ExitCode.unavailable ? "server-unavailable" : "server-refused"
                throw refuse(f, code: code, intent: intent, digest: digest)
            }
            try store.write {
                try store.storeBlobs(described.blobs)
                try store.insert(record)
                try store.appendLedger(.requested, request: runID.compact, actor: identity.actor, payload: requested)
            }
            check.requestID = runID.compact  // waiting on this request: tokens must name it
            launch.requesterIdentity = remote?.identity
            var wait = ApprovalWait(flow: self, record: record, check: check, launch: launch, waiter: waiter)
            wait.recordsDecisions = remote != nil
            if let remote { return try RemoteWait(wait: wait, client: remote.client, identity: remote.identity).run() }
            return try wait.run()
        }
    }

    /// `--break-glass`: permitted only where the matching rule says `break-glass`, and only with a
    /// reason. Runs without approval, records a loud `break-glass` entry as the start, warns, and
    /// leaves the request in `review` until an approver signs an after-review (`gate review`).
    private func breakGlass(intent: Intent, digest: IntentDigest, decision: PolicyDecision, policy: Policy,
                            child: [EnvironmentReset.Variable], file: OpenExecutable) throws -> Int32 {
        guard decision.options.breakGlass else {
            throw refuse(.denied("break-glass is not permitted for this command (\(decision.rule))"), code: "break-glass-refused",
                         intent: intent, digest: digest)
        }
        guard !options.reason.trimmingASCIIWhitespace().isEmpty else {
            throw refuse(.denied("break-glass needs a reason", hint: "gate run --break-glass --reason \"why\" -- …"),
                         code: "reason-required", intent: intent, digest: digest)
        }
        System.write(2, "gate: warning: BREAK-GLASS: running without approval; this run is recorded and needs an after-review (request \(runID))\n")
        let record = RequestRecord(id: runID, createdMicros: System.nowMicros(), intent: intent, reason: options.reason,
                                   rule: decision.rule, requirements: decision.requirements, policyDigest: policy.digest,
                                   status: .review, requesterPID: getpid())
        var launch = Launch(intent: intent, digest: digest, request: runID.compact, rule: decision.rule, policy: policy,
                            ruleOptions: decision.options, environment: child, file: file)
        launch.breakGlass = record
        return try start(launch)
    }

    /// Why argv[0] points the program at a directory that is neither its own nor root's, if it does.
    static func strayDirectory(_ argv0: String, canonical: String, cwd: String) -> String? {
        guard argv0.contains("/") else { return nil }
        let spelledDir = Paths.parent(of: Paths.absolute(argv0, cwd: cwd))
        guard let dir = Paths.real(spelledDir) else { return nil }
        if dir == Paths.parent(of: canonical) || FileSafety.isRootControlled(dir) { return nil }
        return "'\(argv0)' is \(canonical) called from \(dir), a directory that is neither its own nor root's: an allowed program does not run from there"
    }

    /// `--token`/`GATE_TOKEN`: the tokens must all name one request, which must stand on this
    /// host (or its gate server) for exactly this intent: not denied, withdrawn, expired or
    /// already run. Every decision on record for it counts too, so a denial there denies.
    /// Refusals are filed under this invocation's own id: what one invocation did never lands
    /// in the record of another request (the token's request is named in the message).
    private func runWithGivenTokens(_ given: ApprovalCheck, launch: Launch) throws -> Int32 {
        let intent = launch.intent, digest = launch.digest
        var tokens: [SignedToken] = []
        for text in options.tokens {
            do { tokens.append(try SignedToken(text: text)) } catch let e as WireError {
                throw refuse(.denied("malformed token: \(e.description)"), code: "malformed-token", intent: intent, digest: digest)
            }
        }
        let named = Set(tokens.map(\.payload.requestID))
        guard named.count == 1, let id = RequestID(tokens[0].payload.requestID) else {
            throw refuse(.denied(named.count == 1 ? "token names no valid request id" : "tokens name different requests (\(named.sorted().joined(separator: ", "))): approvals of different requests never combine"),
                         code: "other-request", intent: intent, digest: digest)
        }
        var launch = launch
        launch.request = id.compact
        var check = given
        check.requestID = id.compact
        // Each token given is checked on its own first (key, signature, request, intent, time),
        // so a token for another command is refused as such, whatever state its request is in.
        for t in tokens {
            if case .failure(let r) = check.verify(t) {
                throw refuse(.denied(r.description), code: r.code, intent: intent, digest: digest)
            }
            if try store.isUsed(TokenSigning.useID(of: t)) {
                throw refuse(.denied("token was already used: each approval runs its command once"), code: "replayed",
                             intent: intent, digest: digest)
            }
        }
        let record: RequestRecord
        var onRecord: [String]
        do { (record, onRecord) = try standingRequest(id, digest: digest) } catch let n as RequestNotStanding {
            throw refuse(.denied(n.message), code: n.code, intent: intent, digest: digest)
        } catch let f as GateFailure {
            throw refuse(f, code: f.exitCode == ExitCode.unavailable ? "server-unavailable" : f.exitCode == ExitCode.config ? "config" : "request-not-standing",
                         intent: intent, digest: digest)
        }
        if let ttl = record.approvalTTL { check.approvalTTL = min(ttl, check.approvalTTL ?? ttl) }
        // The decisions on record, then the ones given (a token given twice counts once).
        for t in tokens where !onRecord.contains(t.text) { onRecord.append(t.text) }
        var all: [SignedToken] = []
        for text in onRecord {
            do { all.append(try SignedToken(text: text)) } catch let e as WireError {
                throw refuse(.denied("a token on record for request \(id) is malformed: \(e.description)"), code: "malformed-token",
                             intent: intent, digest: digest)
            }
        }
        switch check.evaluate(all) {
        case .approved(let approvals):
            launch.approvals = approvals
            return try start(launch)
        case .denied(let d):
            throw refuse(.denied("request \(id) is denied by \(d.approver)" + (d.token.payload.comment.isEmpty ? "" : ": \(d.token.payload.comment)")),
                         code: "denied", intent: intent, digest: digest)
        case .pending(_, let missing):
            throw refuse(.denied("not enough approvals: needs \(missing.joined(separator: ", "))"), code: "insufficient",
                         intent: intent, digest: digest)
        case .refused(let r):
            throw refuse(.denied(r.description), code: r.code, intent: intent, digest: digest)
        }
    }

    /// The request a token names, as it stands: here, and on the gate server when one is
    /// configured (fail closed: a server that cannot be asked refuses the run); with the
    /// decisions on record for it in both places.
    private func standingRequest(_ id: RequestID, digest: IntentDigest) throws -> (RequestRecord, [String]) {
        guard let record = try store.request(id) else {
            throw GateFailure.denied("request \(id), which the token names, is not known here",
                                     hint: "a token runs only the request it was issued for, on the host that filed it")
        }
        guard record.digest == digest else {
            throw GateFailure.denied("request \(id) is for another intent (\(record.digest.hex.prefix(12))…) than this command's (\(digest.hex.prefix(12))…)")
        }
        try Self.requireStanding(record)
        var tokens = try store.tokenTexts(for: id)
        if let client = try RemoteClient.configured(options.server) {
            let remote = try client.get(id.compact)
            guard remote.record.digest == digest else { throw GateFailure.denied("the gate server holds request \(id) for another intent") }
            try Self.requireStanding(remote.record, where: " on the gate server")
            for t in remote.tokens where !tokens.contains(t) { tokens.append(t) }
        }
        return (record, tokens)
    }

    /// A request can still be run only while pending (or approved and not yet started).
    static func requireStanding(_ r: RequestRecord, where place: String = "") throws(RequestNotStanding) {
        func no(_ why: String, _ code: String = "request-not-standing") -> RequestNotStanding {
            RequestNotStanding(message: "request \(r.id) \(why)\(place)", code: code)
        }
        switch r.status {
        case .pending, .approved:
            if let e = r.expiresMicros, System.nowMicros() >= e { throw no("expired (the rule's ttl)") }
        case .denied: throw no("was denied", "denied")
        case .cancelled: throw no("was withdrawn")
        case .expired: throw no("expired")
        case .running, .finished, .review, .reviewed: throw no("has already run: an approval runs its command once")
        case .refused: throw no("was refused")
        }
    }

    /// Records a refusal in the ledger and returns the failure to throw. If even the record cannot
    /// be written, that is said too: the refusal stands either way.
    func refuse(_ failure: GateFailure, code: String, intent: Intent? = nil, digest: IntentDigest? = nil,
                request: String? = nil) -> GateFailure {
        var extra: [(String, JSON)] = []
        if let intent, let digest { extra = LedgerPayload.intentFields(intent, digest: digest) } else {
            extra = [("argv", .array(options.argv.map(JSON.string)))]
        }
        do {
            try store.record(.refused, request: request ?? runID.compact, actor: identity.actor,
                             payload: LedgerPayload.refused(code: code, message: failure.message, extra: extra))
        } catch {
            var f = failure
            f.message += " (and the refusal could not be recorded: \(error))"
            return f
        }
        return failure
    }

    /// Everything the last step needs: what runs, under which request and rule, with which
    /// approvals, in which environment.
    struct Launch {
        var intent: Intent
        var digest: IntentDigest
        var request: String
        var rule: String
        var policy: Policy
        var ruleOptions: Policy.Options
        /// The child's environment (EnvironmentReset), as computed when the intent was captured.
        var environment: [EnvironmentReset.Variable]
        /// The executable as opened and hashed at capture.
        var file: OpenExecutable
        var approvals: [VerifiedDecision] = []
        /// The matched rule pins the executable's digest (`digest=`): re-hashed before exec too.
        var pinned = false
        var breakGlass: RequestRecord? = nil
        var requesterIdentity: SigningIdentity? = nil
    }

    /// The last step: recheck what is there now, record the start (consuming the tokens and
    /// moving the request out of `pending` in the same transaction), spawn, record the end.
    /// Nothing runs unless the start is on record.
    func start(_ launch: Launch, waiter: Waiter? = nil) throws -> Int32 {
        let intent = launch.intent, digest = launch.digest, request = launch.request, approvals = launch.approvals
        let oldMask = Spawner.blockForwardedSignals()
        if let waiter, let sig = waiter.pendingSignal() {
            // Withdrawn on record, as an interrupt during the wait is: its approvals must not run
            // it later.
            if let id = RequestID(request) {
                try? store.write {
                    try store.setStatus(id, .cancelled)
                    try store.appendLedger(.cancelled, request: request, actor: identity.actor,
                                           payload: .object([("why", .string("interrupted by signal \(sig) before the command started"))]))
                }
            }
            throw GateFailure(ExitCode.tempFail, "interrupted by signal \(sig) before the command started; request withdrawn")
        }
        // With approvals, what runs must still be what was approved: re-hash now, and derive the
        // environment again. An allowed command was captured microseconds ago; hashing it twice
        // would prove nothing more.
        if !approvals.isEmpty {
            let now = EnvironmentReset.childEnvironment(Spawner.environmentVariables(), policy: launch.policy, options: launch.ruleOptions)
            let bound = try ContextCapture.boundEnvironment(now, options: launch.ruleOptions, home: environment.home)
            if let change = try IntentCapture.recheck(intent, file: launch.file, environment: bound) {
                throw refuse(.denied("refusing to run: \(change)"), code: "intent-changed", intent: intent, digest: digest)
            }
        } else if launch.pinned, (try? Files.digest(fd: launch.file.fd, path: intent.executable)) != intent.executableDigest
                    || (!launch.file.isELF && (try? Files.digest(intent.executable)) != intent.executableDigest) {
            throw refuse(.denied("refusing to run: the executable \(intent.executable) changed after it was checked against the rule's digest"),
                         code: "intent-changed", intent: intent, digest: digest)
        }
        let payload: JSON = .object(LedgerPayload.intentFields(intent, digest: digest) + [
            ("rule", .string(launch.rule)),
            ("reason", .string(options.reason)),
            ("policy_digest", .string(Hex.encode(launch.policy.digest))),
            ("approvals", .array(approvals.map { a in
                .object([("approver", .string(a.approver)), ("key_id", .string(a.token.payload.keyID.description)),
                         ("token_id", .string(Hex.encode(TokenSigning.useID(of: a.token)))),
                         // The token itself, so the record of a run proves its approvals on its own
                         // (a pre-issued --token appears nowhere else). Used, bound: not a secret.
                         ("token", .string(a.token.text))])
            })),
        ])
        do {
            try store.write {
                try store.markUsed(approvals.map { TokenSigning.useID(of: $0.token) }, request: request)
                if let breakGlass = launch.breakGlass {
                    try store.insert(breakGlass)
                    try store.appendLedger(.breakGlass, request: request, actor: identity.actor, payload: payload)
                } else {
                    // An approved run moves its request from pending to running, once: a second
                    // token for the same request (or a withdrawal that won the race) finds it gone.
                    if !approvals.isEmpty {
                        guard let id = RequestID(request), let standing = try store.request(id) else {
                            throw RequestNotStanding(message: "request \(request) is not known here", code: "request-not-standing")
                        }
                        try Self.requireStanding(standing)
                    }
                    try store.appendLedger(.started, request: request, actor: identity.actor, payload: payload)
                    if let id = RequestID(request) { try store.setStatus(id, .running) }
                }
            }
        } catch is TokenAlreadyUsed {
            throw refuse(.denied("token was already used: each approval runs its command once"), code: "replayed",
                         intent: intent, digest: digest)
        } catch let n as RequestNotStanding {
            throw refuse(.denied(n.message), code: n.code, intent: intent, digest: digest)
        } catch let f as GateFailure {
            // Fail closed: no record of the start, no run.
            throw GateFailure(f.exitCode, "not running: the start could not be recorded: \(f.message)", hint: f.hint)
        }

        let began = System.monotonicNanos()
        let outcome: Result<ChildExit, GateFailure>
        do {
            outcome = .success(try Spawner.run(path: launch.file.execPath(intent.executable), argv: intent.argv,
                                               environment: launch.environment.map { $0.name + "=" + $0.value }, previousMask: oldMask))
        } catch let f as GateFailure {
            outcome = .failure(f)
        }
        let durationMs = Int64((System.monotonicNanos() - began) / 1_000_000)
        var fields: [(String, JSON)] = [("duration_ms", .int(durationMs))]
        let status: Int32
        switch outcome {
        case .success(.exited(let c)): fields += [("exit_code", .int(Int64(c)))]; status = c
        case .success(.signaled(let s)): fields += [("signal", .int(Int64(s)))]; status = 128 + s
        case .failure(let f): fields += [("error", .string(f.message))]; status = f.exitCode
        }
        fields.append(("gate_exit", .int(Int64(status))))
        do {
            try store.write {
                try store.appendLedger(.finished, request: request, actor: identity.actor, payload: .object(fields))
                if launch.breakGlass == nil, let id = RequestID(request) { try store.setStatus(id, .finished) }
            }
        } catch {
            System.write(2, "gate: error: the command ran, but its end could not be recorded: \(error)\n")
        }
        // With a gate server, the run's checkpoint is copied off the host.
        if options.server != nil || System.envNonEmpty("GATE_SERVER") != nil {
            CheckpointCopy.sendAfterRun(store: store, server: options.server, identity: launch.requesterIdentity)
        }
        if case .failure(let f) = outcome { throw f }
        return status
    }
}

/// Thrown inside the start transaction when the request a run would start no longer stands.
struct RequestNotStanding: Error { var message: String; var code: String }
