import GateCore
import GateCrypto
import GateWire
import GateSystem
import GateStore

/// The server's writes: a signed request, an approver's token, a requester's cancellation, a
/// host's checkpoint copy. Each is checked completely before anything is stored.
extension Broker {
    /// Before the body of POST /v1/requests is read: the `Gate-Statement` header must be a
    /// fresh create statement by a registered requester, or the body may be at most
    /// `ServerApp.maxSmallBody` (a stranger cannot make the server read, parse and decode 24 MiB).
    /// Throws the refusal; returns the statement, to be matched with the body's.
    public func preauthorize(_ header: String, action: StatementPayload.Action = .create) throws -> SignedStatement {
        let statement: SignedStatement
        do { statement = try SignedStatement(text: header) } catch {
            throw Refusal(400, .malformedStatement, "the Gate-Statement header is not a statement: \(error)")
        }
        let policy = try policy()
        do { _ = try StatementSigning.checkBeforeBody(statement, policy: policy, action: action, now: System.nowSeconds()) } catch {
            throw refuse(403, .badStatement, "request refused before its body was read: \(error)", request: statement.payload.requestID.prefix(64).description,
                         actor: nil)
        }
        // Once only: a fresh statement seen elsewhere must not unlock a large read for a stranger.
        try useOnce(statement)
        return statement
    }

    /// POST /v1/requests: `{"statement": "gatereq1…", "body": base64url(request JSON)}`;
    /// `announced` is the Gate-Statement header's statement, when there was one.
    public func create(_ raw: [UInt8], announced: SignedStatement? = nil) throws -> (RequestRecord, JSON) {
        let j = try Self.object(raw)
        let statement = try Self.statement(j)
        if let announced, announced != statement {
            throw Refusal(400, .badStatement, "the Gate-Statement header and the body's statement differ")
        }
        guard let bodyText = j["body"]?.stringValue, let body = try? Base64URL.decode(bodyText) else {
            throw Refusal(400, .badBody, "the body has no base64url 'body'")
        }
        let policy = try policy()
        let requester: Policy.Requester
        do { requester = try StatementSigning.check(statement, policy: policy, action: .create, body: body, now: System.nowSeconds()) } catch {
            throw refuse(403, .badStatement, "request refused: \(error)", request: statement.payload.requestID.prefix(64).description,
                         actor: nil)
        }
        if announced == nil { try useOnce(statement) }
        let id = try Self.requestID(statement.payload.requestID)
        let b = try Self.object(body)
        let intent: Intent
        do { intent = try Intent(decoding: try Base64URL.decode(b["intent"]?.stringValue ?? "")) } catch {
            throw refuse(400, .badIntent, "request \(id): the intent is malformed: \(error)", request: id.compact, actor: requester.name)
        }
        let digest = IntentDigest(intent)
        guard digest.bytes == statement.payload.intentDigest else {
            throw refuse(400, .intentMismatch, "request \(id): the intent is not the one the statement signs", request: id.compact, actor: requester.name)
        }
        guard try store.request(id) == nil else { throw Refusal(409, .exists, "request \(id) already exists") }
        let blobs: [(digest: [UInt8], data: [UInt8])]
        do { blobs = try RequestTransfer.decodeBlobs(b["blobs"]) } catch {
            throw refuse(400, .badContext, "request \(id): \(error)", request: id.compact, actor: requester.name)
        }
        var context = b["context"] ?? .object([])
        guard case .object(var contextFields) = context else { throw Refusal(400, .badBody, "'context' is not an object") }
        // The outputs the page shows are the ones the intent binds, and every one of them is
        // here: an approver signs exactly what they were shown (SPEC.md §2, issue 12).
        let providers = (context["providers"]?.arrayValue ?? []).compactMap { p -> Intent.ShownOutput? in
            guard let n = p["name"]?.stringValue, let d = p["digest"]?.stringValue.flatMap({ try? Hex.decode($0) }) else { return nil }
            return Intent.ShownOutput(name: n, digest: d)
        }
        guard providers.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) == intent.shown,
              intent.shown.allSatisfy({ o in blobs.contains { $0.digest == o.digest } }) else {
            throw refuse(400, .badContext, "request \(id): the context outputs sent are not the ones the intent binds", request: id.compact, actor: requester.name)
        }
        // The server's policy decides again, with the variables the requester sent (the
        // allowlisted environment) standing in for the requester's environment.
        var env: [String: String] = [:]
        for v in context["environment"]?.arrayValue ?? [] {
            if let n = v["name"]?.stringValue, let value = v["value"]?.stringValue { env[n] = value }
        }
        let frozen = env
        // Patterns see the paths the requester's host reached the executable by through its
        // trusted directories: the server cannot look at that host's files, so it takes them
        // from the registered requester, as it takes the environment.
        let aliases = (context["executable_aliases"]?.arrayValue ?? []).compactMap(\.stringValue).filter { $0.hasPrefix("/") }
        let decision = policy.decide(MatchContext(intent: intent, trustedAliases: aliases, environment: { frozen[$0] }))
        let reason = b["reason"]?.stringValue ?? "", ticket = b["ticket"]?.stringValue ?? ""
        let requirements: [Policy.Requirement]
        switch decision.action {
        case .deny(let m):
            throw refuse(403, .policyDeny, "denied by the server's policy (\(decision.rule))" + (m.map { ": \($0)" } ?? ""), request: id.compact, actor: requester.name)
        case .allow:
            throw refuse(422, .policyMismatch, "the server's policy allows this without approval (\(decision.rule)); the requester's policy and the server's differ",
                         request: id.compact, actor: requester.name)
        case .require(let rs):
            requirements = rs
        }
        if decision.options.reasonRequired && reason.trimmingASCIIWhitespace().isEmpty {
            throw refuse(403, .reasonRequired, "the server's policy (\(decision.rule)) requires a reason", request: id.compact, actor: requester.name)
        }
        if decision.options.ticketRequired && ticket.trimmingASCIIWhitespace().isEmpty {
            throw refuse(403, .ticketRequired, "the server's policy (\(decision.rule)) requires a ticket", request: id.compact, actor: requester.name)
        }
        contextFields.removeAll { $0.0 == "requester" }
        var who: [(String, JSON)] = [("name", .string(requester.name)), ("key_id", .string(statement.payload.keyID.description))]
        // The requester host's rule ("line 4"), shown beside the server's own (SPEC.md §9.2).
        if let rule = b["rule"]?.stringValue, !rule.isEmpty { who.append(("rule", .string(String(rule.prefix(64))))) }
        contextFields.append(("requester", .object(who)))
        context = .object(contextFields)
        let now = System.nowMicros()
        var record = RequestRecord(id: id, createdMicros: now, intent: intent)
        record.reason = reason
        record.rule = decision.rule
        record.requirements = requirements
        record.policyDigest = policy.digest
        record.expiresMicros = decision.options.requestTTL.map { now + Int64($0) * 1_000_000 }
        record.approvalTTL = decision.options.approvalTTL
        record.ticket = ticket
        record.context = context
        // (ServerState is an actor: no other create runs between this count and the insert.)
        let pending = try store.pendingCount(requester: requester.name)
        guard pending < maxPendingPerRequester else {
            throw refuse(429, .tooManyPending, "\(requester.name) already has \(pending) pending requests, the most this server allows (--max-pending); wait for decisions or withdraw some",
                         request: id.compact, actor: requester.name)
        }
        // Outputs of requests that ended long enough ago go first; then this one must fit.
        try store.expireContext(endedBefore: now - contextLimits.retentionSeconds * 1_000_000)
        let used = try store.contextBytes(requester: requester.name), adding = blobs.reduce(Int64(0)) { $0 + Int64($1.data.count) }
        guard used + adding <= contextLimits.quotaBytes else {
            throw refuse(413, .overQuota, "\(requester.name) holds \(used >> 10) KiB of context outputs on this server; this request's \(adding >> 10) KiB would pass its quota of \(contextLimits.quotaBytes >> 10) KiB (--context-quota)",
                         request: id.compact, actor: requester.name)
        }
        try store.write {
            try store.storeBlobs(blobs)
            try store.insert(record)
            try store.recordPolicy(policy, actor: requester.name)
            guard case .object(let fields) = LedgerPayload.requested(record) else { return }
            try store.appendLedger(.requested, request: id.compact, actor: requester.name, payload: .object(fields + [
                ("requester", .string(requester.name)), ("requester_key", .string(Self.keyText(requester, statement))),
                ("statement", .string(statement.text)),
            ]))
        }
        return (record, .object([("id", .string(id.compact)), ("status", .string("pending")), ("rule", .string(decision.rule)),
                                 ("requires", .string(requirements.map(\.description).joined(separator: " and "))),
                                 ("page", .string("/r/\(id.compact)"))]))
    }

    /// POST /v1/requests/ID/decisions: `{"token": "gate1…"}`, checked as the requester will check
    /// it (trusted key first, signature, request, intent, validity, no self-approval, eligible).
    public func decide(_ idText: String, _ raw: [UInt8]) throws -> (RequestRecord, JSON) {
        let id = try Self.requestID(idText)
        let j = try Self.object(raw)
        guard let text = j["token"]?.stringValue else { throw Refusal(400, .badBody, "the body has no 'token'") }
        let token: SignedToken
        do { token = try SignedToken(text: text) } catch { throw refuse(400, .malformedToken, "malformed token: \(error)", request: id.compact, actor: nil) }
        let policy = try policy()
        // A token is no proof of who posts it (tokens are listed with their requests, and an
        // approver's token can be posted anywhere): these refusals are not recorded against anyone.
        let r = try record(id)
        guard r.status == .pending else {
            throw refuse(409, .notPending, "request \(id) is \(r.status.rawValue), not pending", request: id.compact, actor: nil)
        }
        if let e = r.expiresMicros, System.nowMicros() >= e {
            _ = try snapshot(id)
            throw refuse(410, .expired, "request \(id) has expired", request: id.compact, actor: nil)
        }
        let check = r.submittedTokenCheck(policy: policy, now: System.nowSeconds())
        let verified: VerifiedDecision
        switch check.verify(token) {
        case .failure(let why): throw refuse(403, why.code, why.description, request: id.compact, actor: nil)
        case .success(let v): verified = v
        }
        if token.payload.decision == .approve {
            guard r.isEligible(verified.approver, under: policy) else {
                throw refuse(403, .notEligible, "\(verified.approver) is not eligible to approve this request (needs \(r.requirements.map(\.description).joined(separator: " and ")))",
                             request: id.compact, actor: verified.approver)
            }
        }
        var status = RequestStatus.pending
        try store.write {
            try store.addToken(token, request: id)
            try store.appendLedger(token.payload.decision == .approve ? .approved : .denied, request: id.compact, actor: verified.approver,
                                   payload: LedgerPayload.decision(token, approver: verified.approver))
            let all = try store.tokenTexts(for: id).compactMap { try? SignedToken(text: $0) }
            switch check.evaluate(all) {
            case .approved: status = .approved
            case .denied: status = .denied
            default: break
            }
            if status != .pending { try store.setStatus(id, status) }
        }
        return (r, .object([("id", .string(id.compact)), ("approver", .string(verified.approver)), ("status", .string(status.rawValue)),
                            ("decision", .string(token.payload.decision == .approve ? "approve" : "deny")),
                            ("comment", .string(token.payload.comment))]))
    }

    /// POST /v1/requests/ID/cancel: `{"statement": …}` by the requester key that created it.
    public func cancel(_ idText: String, _ raw: [UInt8]) throws -> JSON {
        let id = try Self.requestID(idText)
        let statement = try Self.statement(try Self.object(raw))
        let policy = try policy()
        let requester: Policy.Requester
        do { requester = try StatementSigning.check(statement, policy: policy, action: .cancel, body: nil, now: System.nowSeconds()) } catch {
            throw refuse(403, .badStatement, "cancel refused: \(error)", request: id.compact, actor: nil)
        }
        try useOnce(statement)
        let r = try record(id)
        guard statement.payload.requestID == id.compact, statement.payload.intentDigest == r.digest.bytes,
              r.context["requester"]?["key_id"]?.stringValue == statement.payload.keyID.description else {
            throw refuse(403, .notRequester, "only the requester that created \(id) can cancel it", request: id.compact, actor: requester.name)
        }
        guard r.status == .pending else { return .object([("id", .string(id.compact)), ("status", .string(r.status.rawValue))]) }
        try store.write {
            try store.setStatus(id, .cancelled)
            try store.appendLedger(.cancelled, request: id.compact, actor: requester.name, payload: .object([
                ("why", .string("withdrawn by the requester")),
                // What an auditor needs to re-check the withdrawal: the statement and its key.
                ("requester_key", .string(Self.keyText(requester, statement))), ("statement", .string(statement.text)),
            ]))
        }
        return .object([("id", .string(id.compact)), ("status", .string("cancelled"))])
    }

    /// The requester's public key that signed `statement` (gatepk1:…), as recorded for auditors.
    static func keyText(_ requester: Policy.Requester, _ statement: SignedStatement) -> String {
        requester.keys.first { $0.id == statement.payload.keyID }?.text ?? statement.payload.keyID.description
    }
}
