import GateClient
import GateCore
import GateStore
import GateSystem
import GateWire

/// `--token`/`GATE_TOKEN`: the tokens must all name one request, which must stand on this
/// host (or its gate server) for exactly this intent: not denied, withdrawn, expired or
/// already run. Every decision on record for it counts too, so a denial there denies.
/// Refusals are filed under this invocation's own id: what one invocation did never lands
/// in the record of another request (the token's request is named in the message).
enum GivenTokens {
    static func approve(_ launch: Launch, check given: ApprovalCheck, in s: RunSession) throws -> Launch {
        var tokens: [SignedToken] = []
        for text in s.options.tokens {
            do { tokens.append(try SignedToken(text: text)) } catch let e as WireError {
                throw s.refuse(.denied("malformed token: \(e.description)"), code: .malformedToken, about: launch.refused)
            }
        }
        // The distinct request ids named, in order (an array: a Set<String> cost the run a scan
        // of the binary's conformances, issue 17).
        var named: [String] = []
        for t in tokens where !named.contains(t.payload.requestID) { named.append(t.payload.requestID) }
        guard named.count == 1, let id = RequestID(tokens[0].payload.requestID) else {
            throw s.refuse(.denied(named.count == 1 ? "token names no valid request id" : "tokens name different requests (\(named.sorted().joined(separator: ", "))): approvals of different requests never combine"),
                           code: .otherRequest, about: launch.refused)
        }
        var launch = launch
        launch.request = id.compact
        var check = given
        check.requestID = id.compact
        // Read once: its shown outputs now, its standing after the tokens' own checks.
        let filed = Filed { try s.store.request(id) }
        // The context outputs the approvers were shown are the request's: they cannot be made
        // again, and the rest of the intent, captured now, must still match it exactly.
        if case .read(let filed?) = filed, !filed.intent.shown.isEmpty {
            launch.intent.shown = filed.intent.shown
            launch.digest = IntentDigest(launch.intent)
            check.intentDigest = launch.digest
        }
        // Each token given is checked on its own first (key, signature, request, intent, time),
        // so a token for another command is refused as such, whatever state its request is in.
        for t in tokens {
            if case .failure(let r) = check.verify(t) {
                throw s.refuse(.denied(r.description), code: r.code, about: launch.refused)
            }
            if try s.store.isUsed(TokenSigning.useID(of: t)) {
                throw s.refuse(.denied("token was already used: each approval runs its command once"), code: .replayed, about: launch.refused)
            }
        }
        let standing: Standing
        do { standing = try standingRequest(id, filed: filed, digest: launch.digest, in: s) } catch let n as RequestNotStanding {
            throw s.refuse(.denied(n.message), code: n.code, about: launch.refused)
        } catch let f as GateFailure {
            throw s.refuse(f, code: f.refusalCode ?? .requestNotStanding, about: launch.refused)
        }
        let record = standing.record
        var onRecord = standing.tokens
        try runsAsFiled(record, &launch, in: s)
        // Through the daemon an approval counts only once its approver submitted it (gate
        // approve, where the daemon checks the key is theirs): a token in a requester's hands
        // may be a copied key's.
        if DaemonWorkerMode.active, let stray = tokens.first(where: { !onRecord.contains($0.text) }) {
            throw s.refuse(.denied("through the gate daemon, a token counts only once its approver has submitted it (gate approve); key \(stray.payload.keyID)'s token for request \(id) is not on record",
                                   hint: "the approver runs: gate approve \(id)"), code: .untrustedKey, about: launch.refused)
        }
        if let ttl = record.approvalTTL { check.approvalTTL = min(ttl, check.approvalTTL ?? ttl) }
        // The decisions on record, then the ones given (a token given twice counts once).
        for t in tokens where !onRecord.contains(t.text) { onRecord.append(t.text) }
        var all: [SignedToken] = []
        for text in onRecord {
            // A token given here was parsed above: not again.
            if let given = tokens.first(where: { $0.text == text }) { all.append(given); continue }
            do { all.append(try SignedToken(text: text)) } catch let e as WireError {
                throw s.refuse(.denied("a token on record for request \(id) is malformed: \(e.description)"), code: .malformedToken,
                               about: launch.refused)
            }
        }
        switch check.evaluate(all) {
        case .approved(let approvals):
            launch.approvals = approvals
            launch.approvedAtCapture = true
            return launch
        case .denied(let d):
            s.options.report.outcome = "denied"
            s.options.report.deniedBy = d.approver
            throw s.refuse(.denied("request \(id) is denied by \(d.approver)" + (d.token.payload.comment.isEmpty ? "" : ": \(d.token.payload.comment)")),
                           code: .denied, about: launch.refused)
        case .pending(_, let missing):
            throw s.refuse(.denied("not enough approvals: needs \(missing.joined(separator: ", "))"), code: .insufficient, about: launch.refused)
        case .refused(let r):
            throw s.refuse(.denied(r.description), code: r.code, about: launch.refused)
        }
    }

    /// A token (or a pick-up) runs its request as its approvers saw it: the reason and ticket it
    /// was filed with are the run's, and a different one given now is refused, not recorded under it.
    static func runsAsFiled(_ record: RequestRecord, _ launch: inout Launch, in s: RunSession) throws {
        let id = record.id
        for (what, given, filed) in [("ticket", s.options.ticket, record.ticket), ("reason", s.options.reason, record.reason)]
        where !given.isEmpty && given != filed {
            throw s.refuse(.denied("request \(id) was filed with \(filed.isEmpty ? "no \(what)" : "\(what) '\(filed)'"), not '\(given)': a filed request runs as it was approved",
                                   hint: "leave out --\(what) (the request's is used), or file a new request"),
                           code: .intentMismatch, about: launch.refused)
        }
        if launch.ruleOptions.ticketRequired && record.ticket.trimmingASCIIWhitespace().isEmpty {
            throw s.refuse(.denied("the policy (\(launch.rule)) requires a ticket, and request \(id) was filed without one"), code: .ticketRequired, about: launch.refused)
        }
        if launch.ruleOptions.reasonRequired && record.reason.trimmingASCIIWhitespace().isEmpty {
            throw s.refuse(.denied("the policy (\(launch.rule)) requires a reason, and request \(id) was filed without one"), code: .reasonRequired, about: launch.refused)
        }
        launch.filedReason = record.reason
    }

    /// The request a token names, as it stands: here, and on the gate server when one is
    /// configured (fail closed: a server that cannot be asked refuses the run); with the
    /// decisions on record for it in both places.
    private static func standingRequest(_ id: RequestID, filed: Filed, digest: IntentDigest,
                                        in s: RunSession) throws -> Standing {
        guard let record = try filed.get() else {
            throw GateFailure.denied("request \(id), which the token names, is not known here",
                                     hint: "a token runs only the request it was issued for, on the host that filed it")
        }
        guard record.digest == digest else {
            throw GateFailure.denied("request \(id) is for another intent (\(record.digest.hex.prefix(12))…) than this command's (\(digest.hex.prefix(12))…)")
        }
        try requireStanding(record)
        var tokens = try s.store.tokenTexts(for: id)
        if let client = try RemoteClient.configured(s.options.server) {
            let remote = try client.get(id.compact)
            guard remote.record.digest == digest else { throw GateFailure.denied("the gate server holds request \(id) for another intent") }
            try requireStanding(remote.record, where: " on the gate server")
            for t in remote.tokens where !tokens.contains(t) { tokens.append(t) }
        }
        return Standing(record: record, tokens: tokens)
    }

    /// A request as it stands, with the tokens on record for it (a struct, not a tuple: a tuple's
    /// type is made at run time on first use, issue 17).
    struct Standing {
        var record: RequestRecord
        var tokens: [String]
    }

    /// The request a token names, read once (or why it could not be). Not `Result`: making the
    /// type Result<RequestRecord?, any Error> at run time checks its Error conformance, a scan
    /// of every conformance in the binary (~0.2 M instructions a run, callgrind, issue 17).
    enum Filed {
        case read(RequestRecord?)
        case failed(any Error)

        init(_ body: () throws -> RequestRecord?) {
            do { self = .read(try body()) } catch { self = .failed(error) }
        }

        func get() throws -> RequestRecord? {
            switch self {
            case .read(let record): return record
            case .failed(let error): throw error
            }
        }
    }

    /// A request can still be run only while pending (or approved and not yet started).
    static func requireStanding(_ r: RequestRecord, where place: String = "") throws(RequestNotStanding) {
        try requireStanding(r.id, status: r.status, expiresMicros: r.expiresMicros, where: place)
    }

    static func requireStanding(_ id: RequestID, status: RequestStatus, expiresMicros: Int64?, where place: String = "") throws(RequestNotStanding) {
        func no(_ why: String, _ code: RefusalCode = .requestNotStanding) -> RequestNotStanding {
            RequestNotStanding(message: "request \(id) \(why)\(place)", code: code)
        }
        switch status {
        case .pending, .approved:
            if let e = expiresMicros, System.nowMicros() >= e { throw no("expired (the rule's ttl)") }
        case .denied: throw no("was denied", .denied)
        case .cancelled: throw no("was withdrawn")
        case .expired: throw no("expired")
        case .running, .finished, .review, .reviewed: throw no("has already run: an approval runs its command once")
        case .refused: throw no("was refused")
        }
    }
}
