import GateCore
import GateCrypto
import GateStore
import GateSystem
import GateWire
import Glibc

/// The last step: recheck what is there now, record the start (consuming the tokens and moving
/// the request out of `pending` in the same transaction), spawn, record the end. Nothing runs
/// unless the start is on record; this is the only place in gate that starts the command.
enum Launcher {
    static func launch(_ launch: Launch, in s: RunSession) throws -> Int32 {
        let oldMask = Spawner.blockForwardedSignals()
        if let sig = launch.waiter?.pendingSignal() {
            // Withdrawn on record, as an interrupt during the wait is: its approvals must not run
            // it later.
            if let id = RequestID(launch.request) {
                try? s.store.write {
                    try s.store.setStatus(id, .cancelled)
                    try s.store.appendLedger(.cancelled, request: launch.request, actor: s.identity.actor,
                                             payload: .object([("why", .string("interrupted by signal \(sig) before the command started"))]))
                }
            }
            throw GateFailure(.tempFail, "interrupted by signal \(sig) before the command started; request withdrawn")
        }
        do { try verify(launch, in: s) } catch {
            // This invocation's own request was approved and then refused here: it has ended,
            // so nobody can approve it again and run it later under what it was filed with.
            if launch.request == s.runID.compact || s.options.pickUp != nil, let id = RequestID(launch.request) {
                try? s.store.setStatus(id, .refused)
            }
            throw error
        }
        try recordStart(launch, in: s)
        s.options.report.requestID = launch.request
        s.options.report.approvers = launch.approvals.map(\.approver)

        let began = System.monotonicNanos()
        let outcome: Result<ChildExit, GateFailure>
        var refusal: RefusalCode?
        do {
            // The last look, after the start is on record (its write lock may have been waited
            // for, and its tokens are now spent): what runs by path must still be what was
            // approved. A change found here ends the run with its start on record, refused.
            try recheckBeforeExec(launch, in: s)
            outcome = .success(try Spawner.run(path: launch.file.execPath(launch.intent.executable), argv: launch.intent.argv,
                                               environment: launch.environment.map { $0.name + "=" + $0.value }, previousMask: oldMask,
                                               as: launch.runAs))
        } catch let changed as ChangedBeforeExec {
            refusal = .intentChanged
            outcome = .failure(changed.failure)
        } catch let f as GateFailure {
            outcome = .failure(f)
        } catch {
            // Whatever it was, the start is on record: its end must be too.
            outcome = .failure(GateFailure.internalError("not run: \(error)"))
        }
        let status = recordEnd(launch, outcome: outcome, refusal: refusal, durationMs: Int64((System.monotonicNanos() - began) / 1_000_000), in: s)
        // With a gate server, the run's checkpoint is copied off the host.
        if s.options.server != nil || System.envNonEmpty("GATE_SERVER") != nil {
            CheckpointCopy.sendAfterRun(store: s.store, server: s.options.server, identity: launch.requesterIdentity)
        }
        if case .failure(let f) = outcome { throw f }
        return status
    }

    /// Before the start is recorded: after a wait, the policy in force now must allow the run
    /// too; an allowed command whose rule pins the executable's digest is hashed again. (What
    /// runs is re-hashed after the start is on record: recheckBeforeExec.)
    private static func verify(_ launch: Launch, in s: RunSession) throws {
        let intent = launch.intent
        if !launch.approvals.isEmpty {
            // A policy changed while the request waited; tokens given were checked against the
            // policy this process loaded moments ago.
            if !launch.approvedAtCapture { try policyInForce(launch, in: s) }
        } else if launch.pinned, (try? Files.digest(fd: launch.file.fd, path: intent.executable)) != intent.executableDigest
                    || (!launch.file.isELF && (try? DaemonWorkerMode.asRequester { try Files.digest(intent.executable) }) != intent.executableDigest) {
            throw s.refuse(.denied("refusing to run: the executable \(intent.executable) changed after it was checked against the rule's digest"),
                           code: .intentChanged, about: launch.refused)
        }
    }

    /// With approvals, what runs must still be what was approved: the executable's descriptor and
    /// the files run or read by path re-hashed now (a script, its interpreters, bound files:
    /// root-only ones through the store's cache), and, after a wait, the environment derived
    /// again (tokens given at capture: it comes from the same inputs, moments ago).
    private static func recheckBeforeExec(_ launch: Launch, in s: RunSession) throws {
        guard !launch.approvals.isEmpty else { return }
        var bound: [Intent.BoundVariable]?
        if !launch.approvedAtCapture {
            let now = RunAs.commandEnvironment(policy: launch.policy, options: launch.ruleOptions, runAs: launch.runAs)
            bound = try ContextCapture.boundEnvironment(now, options: launch.ruleOptions, home: s.environment.home)
        }
        // The descriptor too: exec of /proc/self/fd/N runs the inode's bytes as they are then,
        // and a file its requester can write may have been rewritten in place since the capture.
        if let change = try IntentCapture.recheck(launch.intent, file: launch.file, environment: bound, digest: s.store.fileDigest) {
            throw ChangedBeforeExec(failure: .denied("refusing to run: \(change); the start was recorded and its approvals are spent",
                                                     hint: "a new request, approved for what is there now, runs it"))
        }
    }

    /// What recheckBeforeExec found changed: the run ends unrun, `intent-changed`.
    struct ChangedBeforeExec: Error { var failure: GateFailure }

    /// A policy changed while the request waited also has its say: the policy in force now must
    /// allow the run too (a stricter one wins, and the approvals must satisfy both).
    private static func policyInForce(_ launch: Launch, in s: RunSession) throws {
        let now: Policy
        do { now = try PolicyLoader.load(s.environment.policyPath) } catch let f as GateFailure {
            throw s.refuse(f, code: f.refusalCode ?? .config, about: launch.refused)
        }
        guard now.digest != launch.policy.digest else { return }
        let decision = now.decide(MatchContext(intent: launch.intent, trustedAliases: launch.trustedAliases, environment: { System.env($0) }))
        switch decision.action {
        case .allow:
            return
        case .deny(let message):
            throw s.refuse(.denied("refusing to run: the policy changed while the request waited, and now denies it (\(decision.rule))"
                                   + (message.map { ": \($0)" } ?? "")), code: .policyDeny, about: launch.refused)
        case .require(let requirements):
            // The rule's other demands (ticket, reason, bound files and variables, context, the
            // environment it keeps) were met, bound and shown under the old rule: if they changed,
            // this request was not decided under them. Fail closed; a new request is.
            guard decision.options == launch.ruleOptions else {
                throw s.refuse(.denied("refusing to run: the policy changed while the request waited, and the rule for this command (\(decision.rule)) now asks for other things (ticket, reason, bound files, context or environment)",
                                       hint: "run the command again: a new request is decided under the policy in force"),
                               code: .policyDeny, about: launch.refused)
            }
            var check = ApprovalCheck(policy: now, requirements: requirements, requesterUser: launch.intent.user,
                                      intentDigest: launch.digest, now: System.nowSeconds())
            check.approvalTTL = decision.options.approvalTTL
            check.requestID = launch.request
            guard case .approved = check.evaluate(launch.approvals.map(\.token)) else {
                let needs = requirements.map(\.description).joined(separator: " and ")
                throw s.refuse(.denied("refusing to run: the policy changed while the request waited; it now needs \(needs) (\(decision.rule)), which these approvals do not meet"),
                               code: .insufficient, about: launch.refused)
            }
        }
    }

    /// `started` (or `break-glass`) on record, with the tokens marked used in the same
    /// transaction; fail closed: no record of the start, no run.
    private static func recordStart(_ launch: Launch, in s: RunSession) throws {
        let request = launch.request, approvals = launch.approvals, store = s.store
        let payload: JSON = .object(LedgerPayload.intentFields(launch.intent, digest: launch.digest) + [
            ("rule", .string(launch.rule)),
            ("reason", .string(launch.filedReason ?? s.options.reason)),
            ("policy_digest", .string(Hex.encode(launch.policy.digest))),
            // The process that runs the command: a start with no end whose runner is gone
            // ended with its outcome unknown (gate audit verify lists them).
            ("runner_pid", .int(Int64(getpid()))),
            ("runner_process", .string(ProcessIdentity.current ?? "")),
            // Who it ran as: the requester in single-user mode; through the daemon, the rule's
            // as= user or the requester, started by the daemon (SPEC.md §6).
            ("run_as", .string(launch.runAs?.user ?? launch.intent.user)),
            ("via_daemon", .bool(DaemonWorkerMode.active)),
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
                // The policy the approvals were checked under, on record before the start that
                // names it (usually already, with the request). An allowed run has none to check.
                if !approvals.isEmpty { try store.recordPolicy(launch.policy, actor: s.identity.actor) }
                if let breakGlass = launch.breakGlass {
                    try store.insert(breakGlass)
                    try store.appendLedger(.breakGlass, request: request, actor: s.identity.actor, payload: payload)
                } else {
                    // An approved run moves its request from pending to running, once: a second
                    // token for the same request (or a withdrawal that won the race) finds it gone.
                    if !approvals.isEmpty {
                        guard let id = RequestID(request), let standing = try store.standing(id) else {
                            throw RequestNotStanding(message: "request \(request) is not known here", code: .requestNotStanding)
                        }
                        try GivenTokens.requireStanding(id, status: standing.status, expiresMicros: standing.expiresMicros)
                    }
                    // The record says when the run started; every approval was valid then
                    // (SPEC.md §5 step 5 at that second), so the record proves it on its own.
                    let at = System.nowMicros()
                    try validAtStart(approvals, micros: at)
                    try store.appendLedger(.started, request: request, actor: s.identity.actor, payload: payload, at: at)
                    if let id = RequestID(request) { try store.setStatus(id, .running) }
                }
            }
        } catch is TokenAlreadyUsed {
            throw s.refuse(.denied("token was already used: each approval runs its command once"), code: .replayed, about: launch.refused)
        } catch let n as RequestNotStanding {
            throw s.refuse(.denied(n.message), code: n.code, about: launch.refused)
        } catch let f as GateFailure {
            throw GateFailure(f.exitCode, "not running: the start could not be recorded: \(f.message)", hint: f.hint)
        }
    }

    /// Each approval's validity at the start's recorded second: issued at most 300 s ahead of it,
    /// and not expired by it (the same rule SPEC.md §8 applies to the record).
    static func validAtStart(_ approvals: [VerifiedDecision], micros: Int64) throws(RequestNotStanding) {
        let second = UInt64(max(0, micros / 1_000_000))
        for a in approvals {
            let p = a.token.payload
            if second >= p.expiresAt {
                throw RequestNotStanding(message: "the approval by \(a.approver) expired at \(formatUTC(p.expiresAt)), before the run could start", code: .expired)
            }
            if p.issuedAt > second + ApprovalCheck.allowedSkew {
                throw RequestNotStanding(message: "the approval by \(a.approver) is issued in the future (\(formatUTC(p.issuedAt))); check the clocks", code: .issuedInFuture)
            }
        }
    }

    /// `finished`, with the child's exit status or signal; returns gate's own exit status. The
    /// command has run by now: a failure to record the end is said, never hidden, and is exit 74.
    private static func recordEnd(_ launch: Launch, outcome: Result<ChildExit, GateFailure>, refusal: RefusalCode? = nil, durationMs: Int64,
                                  in s: RunSession) -> Int32 {
        var fields: [(String, JSON)] = [("duration_ms", .int(durationMs))]
        let status: Int32
        switch outcome {
        case .success(.exited(let c)): fields += [("exit_code", .int(Int64(c)))]; status = c; s.options.report.exitCode = c
        case .success(.signaled(let sig)): fields += [("signal", .int(Int64(sig)))]; status = 128 + sig; s.options.report.signal = sig
        case .failure(let f):
            // Not run: why (a refusal after the start carries its code, as a `refused` entry does).
            fields += [("error", .string(f.message))] + (refusal.map { [("code", JSON.string($0.rawValue))] } ?? [])
            status = f.exitCode.rawValue
        }
        fields.append(("gate_exit", .int(Int64(status))))
        do {
            try s.store.write {
                try s.store.appendLedger(.finished, request: launch.request, actor: s.identity.actor, payload: .object(fields))
                if launch.breakGlass == nil, let id = RequestID(launch.request) { try s.store.setStatus(id, refusal == nil ? .finished : .refused) }
            }
        } catch {
            // Not the child's status: a caller must not read "recorded and succeeded" from it.
            System.write(2, "gate: error: the command ran (gate_exit \(status)), but its end could not be recorded: \(error)\n")
            return ExitCode.ioError.rawValue
        }
        return status
    }
}
