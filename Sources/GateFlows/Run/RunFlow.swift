import GateCore
import GateCrypto
import GateStore
import GateSystem
import GateWire

/// `gate -- CMD`, as three named steps that hand one value on:
///
///     decide (policy + intent)  →  Decided
///     obtain approval           →  Launch     (allowed, break-glass, --token, local wait, remote wait)
///     launch                    →  exit status (verify again, record `started`, spawn, record `finished`)
///
/// Every way out that is not a verified run is a refusal that is printed, recorded under this
/// invocation's id and given its exit code (RunSession.refuse). No step holds another: each
/// returns its value, and only `Launcher` starts a process.
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
        /// `--no-wait`: file the request and end (RunPending) instead of waiting.
        public var noWait = false
        /// `--request ID`: pick up that filed request's decision instead of filing a new one.
        public var pickUp: String?
        /// Filled in as the run goes (`--json-status`).
        public var report = RunReport()
        public init(argv: [String]) { self.argv = argv }
    }

    let session: RunSession

    public init(options: Options) throws {
        session = try RunSession(options: options)
    }

    /// Runs the flow; returns the exit status for gate (the child's, when it ran).
    public func run() throws -> Int32 {
        let decided = try Decide.decide(session)
        let launch = try ObtainApproval.obtain(decided, in: session)
        return try Launcher.launch(launch, in: session)
    }
}

/// What every step of one run shares: the options as given, the state directory, who asks, and
/// the id this invocation's request and refusals are filed under.
struct RunSession {
    let options: RunFlow.Options
    let environment: GateEnvironment
    let store: Store
    let identity: IntentCapture.Identity
    let runID: RequestID

    init(options: RunFlow.Options) throws {
        self.options = options
        environment = try GateEnvironment.current()
        store = try Store.open(environment)
        identity = .current()
        runID = RequestID(randomBytes: SecureRandom.bytes(5))
    }

    /// Records a refusal in the ledger and returns the failure to throw. If even the record cannot
    /// be written, that is said too: the refusal stands either way.
    func refuse(_ failure: GateFailure, code: RefusalCode, about subject: Refused = .argv, request: String? = nil) -> GateFailure {
        options.report.code = code
        var extra: [(String, JSON)] = [("argv", .array(options.argv.map(JSON.string)))]
        if case .intent(let intent, let digest) = subject { extra = LedgerPayload.intentFields(intent, digest: digest) }
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

    /// What a refusal names: the intent when it was captured, else the argv as given.
    enum Refused {
        case argv
        case intent(Intent, IntentDigest)
    }
}
