import GateClient
import GateCore
import GateStore
import GateSystem
import GateWire

/// `gate run --request ID -- CMD`: the run of a request filed earlier (by `--no-wait`, or by a
/// CI job that was re-run). The command given now must capture to exactly that request's intent
/// (same argv, executable, cwd, user, environment, bound files), the request must still stand,
/// and its decisions on record (here, or on the gate server) are checked as a waiting requester
/// checks them; while it is pending, this waits like the first run would have (`--no-wait`:
/// it says so and ends, exit 75).
enum PickUp {
    static func obtain(_ captured: Launch, _ approval: Decided.Approval, id typed: String, in s: RunSession) throws -> Launch {
        var launch = captured
        let record: RequestRecord
        do { record = try s.store.findRequest(typed) } catch let f as GateFailure {
            throw s.refuse(f, code: .unknownRequest, about: launch.refused)
        }
        // Only one's own request is picked up (through the daemon, another's is not even named).
        guard record.intent.uid == launch.intent.uid else {
            throw s.refuse(.denied("no request \(ShellQuote.inert(typed)) of yours to run"), code: .unknownRequest, about: launch.refused)
        }
        s.options.report.requestID = record.id.compact
        // What the approvers were shown is the request's; everything else is captured now.
        launch.intent.shown = record.intent.shown
        launch.digest = IntentDigest(launch.intent)
        guard record.digest == launch.digest else {
            throw s.refuse(.denied("request \(record.id) was filed for another intent (\(record.digest.hex.prefix(12))…) than this command's (\(launch.digest.hex.prefix(12))…)",
                                   hint: "run exactly the command it was filed for, from the same directory: gate show \(record.id)"),
                           code: .intentMismatch, about: launch.refused)
        }
        do { try GivenTokens.requireStanding(record) } catch {
            if error.code == .denied {
                // Who denied it, for --json-status.
                s.options.report.deniedBy = record.denial(tokens: try s.store.tokenTexts(for: record.id), policy: launch.policy,
                                                          now: System.nowSeconds())?.approver
            }
            throw s.refuse(.denied(error.message), code: error.code, about: launch.refused)
        }
        try GivenTokens.runsAsFiled(record, &launch, in: s)
        launch.request = record.id.compact
        var check = approval.check
        check.intentDigest = launch.digest
        check.requestID = record.id.compact
        if let ttl = record.approvalTTL { check.approvalTTL = min(ttl, check.approvalTTL ?? ttl) }
        let waiter = try Waiter(watching: s.environment.home)
        launch.waiter = waiter
        var wait = ApprovalWait(session: s, record: record, check: check, launch: launch, waiter: waiter)
        let client = try RemoteClient.configured(s.options.server)
        // Decided already (the usual case for a re-run job): no waiting, no "approval required".
        var tokens = try s.store.tokenTexts(for: record.id)
        if let client { for t in try client.get(record.id.compact).tokens where !tokens.contains(t) { tokens.append(t) } }
        wait.recordsDecisions = client != nil
        if let approved = try wait.evaluate(tokens, indicator: WaitIndicator(label: "")) { return approved }
        if s.options.noWait { throw RunPending(id: record.id) }
        if let client { return try RemoteWait(wait: wait, client: client, identity: try RequesterKey.load()).run() }
        return try wait.run()
    }
}
