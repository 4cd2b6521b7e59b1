import GateClient
import GateCore
import GateStore
import GateSystem
import GateWire
import Glibc

/// The second step: turn the policy's answer into a launch, or refuse. Every way (allowed,
/// break-glass, tokens given, a local wait, a wait on a gate server) returns the same value;
/// none of them starts anything.
enum ObtainApproval {
    static func obtain(_ decided: Decided, in s: RunSession) throws -> Launch {
        switch decided.route {
        case .allowed:
            return decided.launch
        case .breakGlass(let requirements):
            return try breakGlass(decided.launch, requirements: requirements, in: s)
        case .approval(let approval):
            if !s.options.tokens.isEmpty { return try GivenTokens.approve(decided.launch, check: approval.check, in: s) }
            if let id = s.options.pickUp { return try PickUp.obtain(decided.launch, approval, id: id, in: s) }
            let filed = try RequestFiling.file(decided.launch, approval, in: s)
            s.options.report.requestID = s.runID.compact
            if s.options.noWait { throw RunPending(id: s.runID) }
            if let remote = filed.remote { return try RemoteWait(wait: filed.wait, client: remote.client, identity: remote.identity).run() }
            return try filed.wait.run()
        }
    }

    /// `--break-glass`: permitted only where the matching rule says `break-glass`, and only with a
    /// reason. Runs without approval, records a loud `break-glass` entry as the start, warns, and
    /// leaves the request in `review` until an approver signs an after-review (`gate review`).
    static func breakGlass(_ launch: Launch, requirements: [Policy.Requirement], in s: RunSession) throws -> Launch {
        guard launch.ruleOptions.breakGlass else {
            throw s.refuse(.denied("break-glass is not permitted for this command (\(launch.rule))"), code: .breakGlassRefused,
                           about: launch.refused)
        }
        guard !s.options.reason.trimmingASCIIWhitespace().isEmpty else {
            throw s.refuse(.denied("break-glass needs a reason", hint: "gate run --break-glass --reason \"why\" -- …"),
                           code: .reasonRequired, about: launch.refused)
        }
        System.write(2, "gate: warning: BREAK-GLASS: running without approval; this run is recorded and needs an after-review (request \(s.runID))\n")
        var launch = launch
        launch.breakGlass = launch.record(s, requirements: requirements, status: .review, at: System.nowMicros())
        return launch
    }
}

/// Files this invocation's request: its context captured, sent to the gate server when one is
/// configured (which records and relays it; approvals still come back here to be verified),
/// then stored with its `requested` entry. Returns the wait that follows.
enum RequestFiling {
    struct Filed {
        var wait: ApprovalWait
        var remote: (client: RemoteClient, identity: SigningIdentity)?
    }

    static func file(_ captured: Launch, _ approval: Decided.Approval, in s: RunSession) throws -> Filed {
        let described: ContextCapture.Described
        do {
            described = try ContextCapture.describe(approval.subject, ticket: s.options.ticket, home: s.environment.home)
        } catch let f as GateFailure {
            throw s.refuse(f, code: f.refusalCode ?? .contextFailed, about: captured.refused)
        }
        // What the approvers are shown is part of what they sign (SPEC.md §2): the outputs'
        // digests join the intent, and with them its digest.
        var launch = captured
        launch.intent.shown = described.shown
        launch.digest = IntentDigest(launch.intent)
        let now = System.nowMicros()
        let options = launch.ruleOptions
        var record = launch.record(s, requirements: approval.requirements, status: .pending, at: now)
        record.expiresMicros = options.requestTTL.map { now + Int64($0) * 1_000_000 }
        record.approvalTTL = options.approvalTTL
        record.ticket = s.options.ticket
        record.context = described.context
        // Catch Ctrl-C before the request exists, so an interrupt at any moment from here on
        // withdraws it and is recorded (instead of killing gate and leaving it pending).
        let waiter = try Waiter(watching: s.environment.home)
        var requested = LedgerPayload.requested(record)
        var remote: (client: RemoteClient, identity: SigningIdentity)?
        do {
            if let client = try RemoteClient.configured(s.options.server) {
                let key = try RequesterKey.load()
                _ = try client.create(record, blobs: described.blobs, as: key)
                remote = (client, key)
                if case .object(let fields) = requested { requested = .object(fields + [("server", .string(client.url))]) }
            }
        } catch let f as GateFailure {
            throw s.refuse(f, code: f.refusalCode ?? .serverRefused, about: launch.refused)
        }
        try s.store.write {
            try s.store.storeBlobs(described.blobs)
            try s.store.insert(record)
            try s.store.recordPolicy(launch.policy, actor: s.identity.actor)
            try s.store.appendLedger(.requested, request: s.runID.compact, actor: s.identity.actor, payload: requested)
        }
        // With a gate server, the server notifies; here, the requester's own gate does.
        if remote == nil { LocalNotify.announce(record) }
        var check = approval.check
        check.intentDigest = launch.digest
        check.requestID = s.runID.compact  // waiting on this request: tokens must name it
        launch.requesterIdentity = remote?.identity
        launch.waiter = waiter
        var wait = ApprovalWait(session: s, record: record, check: check, launch: launch, waiter: waiter)
        wait.recordsDecisions = remote != nil
        return Filed(wait: wait, remote: remote)
    }
}
