import GateCore
import GateWire
import Glibc
import GateSystem
import GateStore

/// The requester's wait for a decision: woken by inotify when the state database changes, by a
/// signal (Ctrl-C cancels), or by the timeout. Each wake re-reads the request's tokens and runs
/// the full check; a token that fails it refuses the run (fail closed), it is never skipped.
/// An approval ends the wait with the launch (the approvals added); nothing runs from here.
struct ApprovalWait {
    let session: RunSession
    let record: RequestRecord
    let check: ApprovalCheck
    /// What runs once approved (the approvals are added when they arrive).
    var launch: Launch
    let waiter: Waiter
    /// Remote mode: decisions arrive from the server, not through this host's ledger, so a
    /// denial is recorded here when it is acted on.
    var recordsDecisions = false

    func run() throws -> Launch {
        let id = record.id
        let needs = record.requirements.map(\.description).joined(separator: " and ")
        System.write(2, "gate: approval required (rule: \(record.rule); needs \(needs)) — request \(id)\n")
        System.write(2, "gate: an approver runs: gate approve \(id)\n")
        let indicator = WaitIndicator(label: "waiting for approval of \(id)…")
        let deadline = WaitDeadline(timeoutSeconds: session.options.timeoutSeconds, expiresMicros: record.expiresMicros)
        var seen = -1
        var lastCheck = System.monotonicNanos()

        while true {
            let texts = try session.store.tokenTexts(for: id)
            if texts.count != seen {
                seen = texts.count
                if let approved = try evaluate(texts, indicator: indicator) { return approved }
            }
            if deadline.passed {
                indicator.clear()
                try cancel(why: deadline.why, status: .expired)
                session.options.report.outcome = "timeout"
                throw deadline.failure(id)
            }
            switch waiter.wait(timeoutMilliseconds: deadline.clamp(indicator.tickMilliseconds)) {
            case .signal(let sig):
                indicator.clear()
                try cancel(why: "interrupted by signal \(sig)", status: .cancelled)
                throw GateFailure(.tempFail, "cancelled: request \(id) withdrawn")
            case .changed:
                lastCheck = System.monotonicNanos()
                // Withdrawn by its requester elsewhere (gate cancel): nothing to wait for.
                if let now = try session.store.request(id), now.status == .cancelled || now.status == .expired {
                    indicator.clear()
                    session.options.report.outcome = "cancelled"
                    throw GateFailure(.tempFail, "request \(id) was withdrawn (\(now.status.rawValue)) while it waited")
                }
            case .tick:
                indicator.update()
                // Safety net for file systems without inotify: re-read once a second.
                if System.monotonicNanos() - lastCheck >= 1_000_000_000 { lastCheck = System.monotonicNanos(); seen = -1 }
            }
        }
    }

    /// nil while still pending; the launch once approved. A denial or a bad token throws.
    func evaluate(_ texts: [String], indicator: WaitIndicator) throws -> Launch? {
        guard !texts.isEmpty else { return nil }
        var tokens: [SignedToken] = []
        for text in texts {
            do { tokens.append(try SignedToken(text: text)) } catch let e as WireError {
                indicator.clear()
                try? session.store.setStatus(record.id, .refused)
                throw session.refuse(.denied("a submitted token is malformed: \(e.description)"), code: .malformedToken,
                                     about: launch.refused, request: record.id.compact)
            }
        }
        var now = check
        now.now = System.nowSeconds()
        switch now.evaluate(tokens) {
        case .pending(let have, let missing):
            let required = record.requirements.reduce(0) { $0 + $1.count }
            let progress = "\(have.count) of \(required) (\(have.map(\.approver).joined(separator: ", ")))"
            if !have.isEmpty, indicator.label != "waiting for approval of \(record.id): \(progress)…" {
                indicator.clear()
                System.write(2, "gate: approved by \(have.map(\.approver).joined(separator: ", ")): \(progress); still needs \(missing.joined(separator: " and "))\n")
                indicator.label = "waiting for approval of \(record.id): \(progress)…"
            }
            return nil
        case .approved(let approvals):
            indicator.clear()
            let names = approvals.map(\.approver).joined(separator: ", ")
            System.write(2, "gate: approved by \(names); running\n")
            var launch = launch
            launch.approvals = approvals
            return launch
        case .denied(let d):
            indicator.clear()
            try session.store.write {
                try session.store.setStatus(record.id, .denied)
                if recordsDecisions {
                    try session.store.appendLedger(.denied, request: record.id.compact, actor: d.approver,
                                                payload: LedgerPayload.decision(d.token, approver: d.approver))
                }
            }
            let comment = d.token.payload.comment
            session.options.report.outcome = "denied"
            session.options.report.deniedBy = d.approver
            throw GateFailure.denied("request \(record.id) denied by \(d.approver)" + (comment.isEmpty ? "" : ": \(comment)"))
        case .refused(let r):
            indicator.clear()
            try? session.store.setStatus(record.id, .refused)
            throw session.refuse(.denied(r.description), code: r.code, about: launch.refused, request: record.id.compact)
        }
    }

    func cancel(why: String, status: RequestStatus) throws {
        try session.store.write {
            try session.store.setStatus(record.id, status)
            try session.store.appendLedger(.cancelled, request: record.id.compact, actor: session.identity.actor,
                                        payload: .object([("why", .string(why))]))
        }
    }
}

/// When a requester stops waiting: the earlier of its `--timeout` and the rule's request TTL,
/// shared by the local and the remote wait so that both end, and say so, the same way.
struct WaitDeadline {
    /// Seconds allowed from the start; nil: no limit.
    let limit: UInt64?
    let byTTL: Bool
    private let at: UInt64?  // monotonic nanoseconds

    init(timeoutSeconds: UInt64?, expiresMicros: Int64?) {
        var limit = timeoutSeconds
        var byTTL = false
        if let expires = expiresMicros {
            let ttl = UInt64(max(0, expires - System.nowMicros()) / 1_000_000)
            if limit == nil || ttl < limit! { limit = ttl; byTTL = true }
        }
        self.limit = limit
        self.byTTL = byTTL
        let start = System.monotonicNanos()
        at = limit.map { start + $0 * 1_000_000_000 }
    }

    var passed: Bool { at.map { System.monotonicNanos() >= $0 } ?? false }

    /// `milliseconds`, or less when the deadline is nearer (at least 1).
    func clamp(_ milliseconds: Int32) -> Int32 {
        guard let at else { return milliseconds }
        let left = Int64(at) - Int64(System.monotonicNanos())
        return Int32(max(1, min(Int64(milliseconds), left / 1_000_000 + 1)))
    }

    /// The withdrawal's reason, for the ledger.
    var why: String { byTTL ? "expired (the rule's ttl)" : "timeout" }

    /// What the requester is told (exit 75).
    func failure(_ id: RequestID) -> GateFailure {
        let allowed = GateDuration(seconds: max(1, limit ?? 1))
        return byTTL
            ? GateFailure(.tempFail, "request \(id) expired without a decision (the rule allows \(allowed) pending)")
            : GateFailure(.tempFail, "no decision on request \(id) within \(allowed); request withdrawn")
    }
}
