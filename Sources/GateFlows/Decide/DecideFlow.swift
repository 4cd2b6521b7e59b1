import GateCore
import GateCrypto
import GateWire
import GateSystem
import GateStore
import GateClient

/// `gate approve ID` and `gate deny ID`: check that this key may decide this request, show what is
/// being decided, unlock the key, sign a token over the intent digest recomputed from the stored
/// intent, verify it, store it and record it. With a gate server (`--server`, `GATE_SERVER`)
/// the request is fetched from it and the token submitted to it; the server checks the token
/// again and records it, and the requester checks it once more before running anything.
public struct DecideFlow {
    public struct Options: Sendable {
        public var request: String
        public var keyPath: String?
        public var decision: TokenPayload.Decision
        /// An after-review of a break-glass run rather than a decision on a pending request.
        public var review = false
        public var comment: String = ""
        public var lifetimeSeconds: UInt64 = 15 * 60
        public var server: String?
        public init(request: String, decision: TokenPayload.Decision) {
            self.request = request
            self.decision = decision
        }
    }

    public struct Result: Sendable {
        public var token: SignedToken
        public var approver: String
        public var request: RequestRecord
    }

    let options: Options
    var verb: String { options.review ? "review" : options.decision == .approve ? "approve" : "deny" }

    public static func run(_ options: Options) throws -> Result {
        let environment = try GateEnvironment.current()
        let flow = DecideFlow(options: options)
        if options.server == nil, let daemon = DaemonClient.configured() { return try flow.viaDaemon(daemon) }
        if let client = try RemoteClient.configured(options.server) { return try flow.remote(client, environment: environment) }
        return try flow.local(environment)
    }

    private func local(_ environment: GateEnvironment) throws -> Result {
        let store = try Store.open(environment)
        let request = try store.findRequest(options.request)
        if let why = try store.integrityProblem(request) {
            record(why, request: request, actor: System.userName(uid: System.uid) ?? "uid:\(System.uid)", code: .badContext, in: store)
            throw GateFailure(.dataError, why, hint: "nothing was signed")
        }
        let (approver, identity) = try check(request, policy: try PolicyLoader.load(environment.policyPath),
                                             policyPath: environment.policyPath, store: store, recheck: true,
                                             onRecord: try store.tokenTexts(for: request.id))
        let token = try sign(request, identity: identity)
        try store.recordDecision(token, request: request.id, approver: approver, review: options.review)
        return Result(token: token, approver: approver, request: request)
    }

    private func remote(_ client: RemoteClient, environment: GateEnvironment) throws -> Result {
        guard !options.review else {
            throw GateFailure.usage("after-reviews of break-glass runs are made on the host that ran them", hint: "run gate review there, without --server")
        }
        let fetched = try client.get(options.request)
        let request = fetched.record
        if let why = ContextBinding.problem(intent: request.intent, context: request.context) {
            throw GateFailure(.dataError, "the gate server's request \(request.id): \(why)", hint: "nothing was signed; tell the server's operator")
        }
        // Refusals are recorded in this host's ledger, as in local mode (the server records
        // the ones it makes in its own).
        let store = try Store.open(environment)
        // The server checks trust and eligibility with its policy; a local copy, if this host
        // has one, lets gate refuse before the passphrase prompt, as in local mode.
        let policy = Files.exists(environment.policyPath) ? try PolicyLoader.load(environment.policyPath) : nil
        let (_, identity) = try check(request, policy: policy, policyPath: environment.policyPath, store: store, onRecord: fetched.tokens)
        let token = try sign(request, identity: identity)
        let answer: JSON
        do { answer = try client.submit(token) } catch let f as GateFailure {
            record(f.message, request: request, actor: identity.name, code: f.refusalCode ?? .serverRefused,
                   in: store)
            throw f
        }
        let status = answer["status"]?.stringValue ?? "?"
        if status != "pending" { System.write(2, "gate: request \(request.id) is now \(ShellQuote.inert(status)) on the server\n") }
        return Result(token: token, approver: answer["approver"]?.stringValue ?? identity.name, request: request)
    }

    /// Through the gate daemon: the request comes from it, the token is signed here with the
    /// approver's key, and the daemon checks it (also that the key is this unix user's) and
    /// records it. Refusals made here, before anything is signed, are the daemon's to record
    /// when a token reaches it; this process writes nothing of gate's.
    private func viaDaemon(_ daemon: DaemonClient) throws -> Result {
        var fetched: RequestTransfer.Decoded?
        let found = try daemon.call(.object([("op", .string("get")), ("id", .string(options.request)),
                                                 ("to_approve", .bool(options.decision == .approve && !options.review))])) { message in
            guard let r = message["request"] else { return }
            do { fetched = try RequestTransfer.decode(r) } catch { throw GateFailure(.dataError, "the gate daemon sent a malformed request: \(error)") }
        }
        guard found == 0, let request = fetched?.record else { throw DaemonClient.Reported(status: found == 0 ? ExitCode.dataError.rawValue : found) }
        let policy = Files.exists(GateEnvironment.daemonPolicyPath) ? try? PolicyLoader.load(GateEnvironment.daemonPolicyPath) : nil
        let (_, identity) = try check(request, policy: policy, policyPath: GateEnvironment.daemonPolicyPath, store: nil,
                                      onRecord: fetched?.tokens ?? [])
        let token = try sign(request, identity: identity)
        var answer: JSON = .null
        let submitted = try daemon.call(.object([("op", .string("decide")), ("token", .string(token.text)), ("review", .bool(options.review))])) {
            answer = $0
        }
        guard submitted == 0 else { throw DaemonClient.Reported(status: submitted) }
        return Result(token: token, approver: answer["approver"]?.stringValue ?? identity.name, request: request)
    }

    /// A refusal, in this host's ledger; if even that fails, the refusal stands.
    private func record(_ message: String, request: RequestRecord, actor: String, code: RefusalCode, in store: Store?) {
        _ = try? store?.record(.refused, request: request.id.compact, actor: actor,
                              payload: LedgerPayload.refused(code: code, message: "\(verb): \(message)"))
    }

    /// Everything checked before the passphrase prompt (and before any cryptography), then the
    /// key unlocked. Each refusal is recorded in `store`.
    private func check(_ request: RequestRecord, policy: Policy?, policyPath: String,
                       store: Store?, recheck: Bool = false, onRecord: [String]) throws -> (String, SigningIdentity) {
        func refuse(_ message: String, actor: String, code: RefusalCode) -> GateFailure {
            record(message, request: request, actor: actor, code: code, in: store)
            return .denied(message)
        }
        let expected: RequestStatus = options.review ? .review : .pending
        // Before any key is read, the one acting is the unix user running gate.
        let invoker = System.userName(uid: System.uid) ?? "uid:\(System.uid)"
        // Decisions are people's: an agent's label on the environment refuses them at once.
        if let agent = System.envNonEmpty("GATE_AGENT") {
            let message = "an agent (GATE_AGENT=\(agent)) does not \(verb) requests: decisions are people's"
            record(message, request: request, actor: invoker, code: .agentDecision, in: store)
            throw GateFailure.denied(message, hint: "an approver runs it in their own shell, without GATE_AGENT")
        }
        guard request.status == expected else {
            throw refuse("request \(request.id) is \(request.status.rawValue), not \(expected.rawValue); nothing to \(verb)",
                         actor: invoker, code: options.review ? .notReview : .notPending)
        }
        if let expires = request.expiresMicros, System.nowMicros() >= expires {
            throw refuse("request \(request.id) expired at \(formatUTC(UInt64(expires / 1_000_000))); nothing to \(verb)",
                         actor: invoker, code: .expired)
        }
        let keyPath = KeyFiles.defaultPath(options.keyPath)
        let keyFile = try KeyFiles.readSecretKeyFile(keyPath)
        var approverName = keyFile.name
        if let policy {
            guard let (approver, _) = policy.approver(forKey: keyFile.keyID) else {
                throw refuse("key \(keyFile.keyID) (\(keyFile.name)) is not trusted by the policy \(policyPath)",
                             actor: "key \(keyFile.keyID)", code: .untrustedKey)
            }
            if approver.user == request.intent.user {
                throw refuse("\(approver.name) is the requester (\(request.intent.user)); no one decides their own request",
                             actor: approver.name, code: .selfApproval)
            }
            if options.decision == .approve && !request.requirements.isEmpty {
                guard request.isEligible(approver.name, under: policy) else {
                    let groups = request.requirements.map(\.description).joined(separator: " and ")
                    throw refuse("\(approver.name) is not eligible to approve this request (needs \(groups))",
                                 actor: approver.name, code: .notEligible)
                }
            }
            approverName = approver.name
            // A second approval by the same person counts for nothing: say so, not "approved".
            if options.decision == .approve, !options.review {
                let progress = request.progress(tokens: onRecord, policy: policy, now: System.nowSeconds())
                if progress.approvers.contains(approver.name) {
                    let still = progress.missing.isEmpty ? "it has the approvals it needs (\(progress.summary)) and waits for its requester"
                        : "still needs \(progress.missing.joined(separator: " and ")) (\(progress.summary) so far)"
                    throw refuse("\(approver.name) already approved request \(request.id); \(still)", actor: approver.name, code: .alreadyDecided)
                }
            }
        }
        // Approving what would no longer run is approving something nobody was shown.
        if recheck, options.decision == .approve, !options.review, let change = try IntentCapture.approvalRecheck(request.intent) {
            record("\(change); nothing was signed", request: request, actor: approverName, code: .intentChanged, in: store)
            throw GateFailure.denied("\(change); nothing was signed", hint: "the requester runs the command again: a new request shows what is there now")
        }
        let digest = request.digest
        System.write(2, "gate: \(verb) \(request.id): \(ShellQuote.join(request.intent.argv))\n")
        let i = request.intent
        System.write(2, "gate:   requested by \(ShellQuote.inert(i.user))\(i.agent.isEmpty ? "" : " (agent \(ShellQuote.inert(i.agent)))") on \(ShellQuote.inert(i.host)) in \(ShellQuote.quote(i.cwd)); intent \(digest.short)…\n")
        if !request.reason.isEmpty { System.write(2, "gate:   reason: \(ShellQuote.inert(request.reason))\n") }
        return (approverName, try KeyFiles.unlock(keyFile, path: keyPath))
    }

    /// Signs over the digest recomputed from the intent, and verifies the result.
    private func sign(_ request: RequestRecord, identity: SigningIdentity) throws -> SignedToken {
        let now = System.nowSeconds()
        var lifetime = options.lifetimeSeconds
        if let max = request.approvalTTL, lifetime > max {
            lifetime = max
            System.write(2, "gate: the rule limits approvals to \(GateDuration(seconds: max)); the token is valid that long\n")
        }
        let payload = TokenPayload(keyID: identity.publicKey.id, requestID: request.id.compact, intentDigest: request.digest.bytes,
                                   decision: options.decision, issuedAt: now, expiresAt: now + lifetime,
                                   nonce: SecureRandom.bytes(16), comment: options.comment)
        do { return try TokenSigning.sign(payload, with: identity) } catch {
            throw GateFailure.internalError("the signature did not verify under its own key; nothing was stored")
        }
    }
}
