import GateCore
import GateWire
import Glibc

/// The requester's wait for a decision: woken by inotify when the state database changes, by a
/// signal (Ctrl-C cancels), or by the timeout. Each wake re-reads the request's tokens and runs
/// the full check; a token that fails it refuses the run (fail closed), it is never skipped.
struct ApprovalWait {
    let flow: RunFlow
    let record: RequestRecord
    let check: ApprovalCheck
    let policy: Policy
    let waiter: Waiter
    /// Remote mode: decisions arrive from the server, not through this host's ledger, so a
    /// denial is recorded here when it is acted on.
    var recordsDecisions = false

    func run() throws -> Int32 {
        let id = record.id
        let needs = record.requirements.map(\.description).joined(separator: " and ")
        System.write(2, "gate: approval required (rule: \(record.rule); needs \(needs)) — request \(id)\n")
        System.write(2, "gate: an approver runs: gate approve \(id)\n")
        let indicator = WaitIndicator(label: "waiting for approval of \(id)…")
        // The earlier of the requester's --timeout and the rule's request TTL.
        let start = System.monotonicNanos()
        var limit = flow.options.timeoutSeconds
        var byTTL = false
        if let expires = record.expiresMicros {
            let ttl = UInt64(max(0, expires - System.nowMicros()) / 1_000_000)
            if limit == nil || ttl < limit! { limit = ttl; byTTL = true }
        }
        let deadline = limit.map { start + $0 * 1_000_000_000 }
        var seen = -1
        var lastCheck = System.monotonicNanos()

        while true {
            let texts = try flow.store.tokenTexts(for: id)
            if texts.count != seen {
                seen = texts.count
                if let exit = try evaluate(texts, waiter: waiter, indicator: indicator) { return exit }
            }
            if let deadline, System.monotonicNanos() >= deadline {
                indicator.clear()
                if byTTL {
                    try cancel(why: "expired (the rule's ttl)", status: .expired)
                    throw GateFailure(ExitCode.tempFail, "request \(id) expired without a decision (the rule allows \(GateDuration(seconds: max(1, limit!))) pending)")
                }
                try cancel(why: "timeout", status: .expired)
                throw GateFailure(ExitCode.tempFail, "no decision on request \(id) within \(GateDuration(seconds: max(1, limit!))); request withdrawn")
            }
            var timeout = indicator.tickMilliseconds
            if let deadline {
                let left = Int64(deadline) - Int64(System.monotonicNanos())
                timeout = Int32(max(1, min(Int64(timeout), left / 1_000_000 + 1)))
            }
            switch waiter.wait(timeoutMilliseconds: timeout) {
            case .signal(let sig):
                indicator.clear()
                try cancel(why: "interrupted by signal \(sig)", status: .cancelled)
                throw GateFailure(ExitCode.tempFail, "cancelled: request \(id) withdrawn")
            case .changed:
                lastCheck = System.monotonicNanos()
            case .tick:
                indicator.update()
                // Safety net for file systems without inotify: re-read once a second.
                if System.monotonicNanos() - lastCheck >= 1_000_000_000 { lastCheck = System.monotonicNanos(); seen = -1 }
            }
        }
    }

    /// nil while still pending; the exit status once decided and (if approved) run.
    func evaluate(_ texts: [String], waiter: Waiter, indicator: WaitIndicator) throws -> Int32? {
        guard !texts.isEmpty else { return nil }
        var tokens: [SignedToken] = []
        for text in texts {
            do { tokens.append(try SignedToken(text: text)) } catch let e as WireError {
                indicator.clear()
                try? flow.store.setStatus(record.id, .refused)
                throw flow.refuse(.denied("a submitted token is malformed: \(e.description)"), code: "malformed-token",
                                  intent: record.intent, digest: check.intentDigest, request: record.id.compact)
            }
        }
        var now = check
        now.now = System.nowSeconds()
        switch now.evaluate(tokens) {
        case .pending:
            return nil
        case .approved(let approvals):
            indicator.clear()
            let names = approvals.map(\.approver).joined(separator: ", ")
            System.write(2, "gate: approved by \(names); running\n")
            return try flow.start(intent: record.intent, digest: check.intentDigest, request: record.id.compact,
                                  rule: record.rule, approvals: approvals, policy: policy, waiter: waiter)
        case .denied(let d):
            indicator.clear()
            try flow.store.write {
                try flow.store.setStatus(record.id, .denied)
                if recordsDecisions {
                    try flow.store.appendLedger(.denied, request: record.id.compact, actor: d.approver,
                                                payload: LedgerPayload.decision(d.token, approver: d.approver))
                }
            }
            let comment = d.token.payload.comment
            throw GateFailure.denied("request \(record.id) denied by \(d.approver)" + (comment.isEmpty ? "" : ": \(comment)"))
        case .refused(let r):
            indicator.clear()
            try? flow.store.setStatus(record.id, .refused)
            throw flow.refuse(.denied(r.description), code: r.code, intent: record.intent, digest: check.intentDigest,
                              request: record.id.compact)
        }
    }

    func cancel(why: String, status: RequestStatus) throws {
        try flow.store.write {
            try flow.store.setStatus(record.id, status)
            try flow.store.appendLedger(.cancelled, request: record.id.compact, actor: flow.identity.actor,
                                        payload: .object([("why", .string(why))]))
        }
    }
}
