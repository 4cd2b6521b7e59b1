import GateCore
import GateCrypto
import GateWire
import GateSystem
import GateStore

/// The gate server's decisions (issue 5), as plain synchronous calls over its Store, so that the
/// HTTP layer only routes, waits and renders. Every refusal is recorded in the server's own
/// ledger and returned as an HTTP status with one line saying why.
public final class Broker {
    public struct Refusal: Error, CustomStringConvertible {
        public var status: Int
        public var code: RefusalCode
        public var message: String
        public var description: String { message }
        public init(status: Int, code: RefusalCode, message: String) { self.status = status; self.code = code; self.message = message }
        init(_ status: Int, _ code: RefusalCode, _ message: String) { self.status = status; self.code = code; self.message = message }
    }

    public let store: Store
    let policyPath: String
    /// Refusals no registered key signed for: the operator's log, not the ledger.
    var unattributed = UnattributedRefusals()
    public static let maxTokenBody = 16 << 10

    /// Pending requests one requester may have at once (`gate-server --max-pending`): a
    /// requester that parks hundreds cannot bury the others' (issue 18, finding 6).
    let maxPendingPerRequester: Int
    /// Context outputs: bytes one requester's kept requests may hold, and how long outputs are
    /// kept after their last request ended (ContextRetention.swift).
    public struct ContextLimits: Sendable {
        public var quotaBytes: Int64 = 64 << 20
        public var retentionSeconds: Int64 = 86_400
        public init() {}
    }
    let contextLimits: ContextLimits
    /// Checkpoint copies: ledger ids per requester, and the bytes its copies may hold.
    public struct CopyLimits: Sendable {
        public var ledgersPerRequester = 64
        public var quotaBytes: Int64 = 256 << 20
        public init() {}
    }
    let copyLimits: CopyLimits
    struct CopyUsage {
        var ledgers: Set<String> = []
        var bytes: Int64 = 0
        mutating func add(_ copy: LedgerEntry) {
            ledgers.insert(copy.requestID)
            bytes += Int64(copy.payload.utf8.count)
        }
    }
    var copyUsageByRequester: [String: CopyUsage] = [:]

    public init(home: String, maxPendingPerRequester: Int = 20, contextLimits: ContextLimits = .init(), copyLimits: CopyLimits = .init()) throws {
        self.maxPendingPerRequester = maxPendingPerRequester
        self.contextLimits = contextLimits
        self.copyLimits = copyLimits
        let env = GateEnvironment(home: home, policyPath: Paths.join(home, "policy"))
        policyPath = env.policyPath
        // A server without a usable policy would refuse everything: say so at start instead.
        let policy: Policy
        do { policy = try PolicyLoader.load(policyPath) } catch let f as GateFailure {
            throw GateFailure(f.exitCode, "the server's policy: \(f.message)",
                              hint: "DIR/policy holds the hosts' approvers and rules plus a 'requester NAME key=…' line per requester")
        }
        if policy.requesters.isEmpty {
            System.write(2, "gate-server: warning: \(policyPath) registers no requester: every request will be refused (add 'requester NAME key=…')\n")
        }
        store = try Store.open(env)
    }

    func policy() throws(Refusal) -> Policy {
        do { return try PolicyLoader.load(policyPath) } catch {
            throw Refusal(500, .serverPolicy, "the server's policy cannot be used: \(error)")
        }
    }

    /// The policy for naming approvers on a page; a page must not fail on it.
    public func policyForDisplay() -> Policy? { try? PolicyLoader.load(policyPath) }

    /// Records a refusal and returns it to throw: in the server's ledger when a registered key
    /// signed what was refused (`actor`, the requester or approver), in the operator's
    /// rate-limited log when nothing vouches for who sent it (`actor` nil).
    func refuse(_ status: Int, _ code: RefusalCode, _ message: String, request: String = "", actor: String?) -> Refusal {
        if let actor {
            _ = try? store.record(.refused, request: request, actor: actor, payload: LedgerPayload.refused(code: code, message: message))
        } else {
            unattributed.note(status, code, message)
        }
        return Refusal(status, code, message)
    }

    /// Statements already used, by key id and nonce, until they are too old to pass anyway: a
    /// statement (even one an auditor can read in the ledger) is not a credential a stranger can
    /// present again. Kept in memory: a restart forgets them, and 300 s of freshness bound a
    /// replay then. Pruned when it grows.
    var seenStatements: [String: UInt64] = [:]

    /// Refuses a statement seen before (unattributed: anyone may replay one), else remembers it.
    func useOnce(_ statement: SignedStatement) throws(Refusal) {
        let now = System.nowSeconds(), key = statement.payload.keyID.description + Hex.encode(statement.payload.nonce)
        if seenStatements.count > 50_000 { seenStatements = seenStatements.filter { $0.value > now } }
        guard seenStatements[key].map({ $0 <= now }) ?? true else {
            throw refuse(403, .badStatement, "this statement was already used: a replay", actor: nil)
        }
        seenStatements[key] = statement.payload.issuedAt + 2 * ApprovalCheck.allowedSkew
    }

    static func object(_ body: [UInt8]) throws(Refusal) -> JSON {
        guard let text = String(validating: body, as: UTF8.self), let j = try? JSON.parse(text), case .object = j else {
            throw Refusal(400, .badBody, "the body is not a JSON object")
        }
        return j
    }

    static func statement(_ j: JSON) throws(Refusal) -> SignedStatement {
        guard let text = j["statement"]?.stringValue else { throw Refusal(400, .badBody, "the body has no 'statement'") }
        do { return try SignedStatement(text: text) } catch { throw Refusal(400, .malformedStatement, "malformed statement: \(error)") }
    }

    static func requestID(_ text: String) throws(Refusal) -> RequestID {
        guard let id = RequestID(text) else { throw Refusal(400, .badID, "'\(text.prefix(64))' is not a request id") }
        return id
    }

    func record(_ id: RequestID) throws -> RequestRecord {
        guard let r = try store.request(id) else { throw Refusal(404, .unknownRequest, "no request \(id) on this server") }
        return r
    }

    // MARK: reading

    /// `GET /v1/requests[?all=1][&cursor=C]`: newest first (requests parked early cannot hide
    /// a new one), at most 200, with how many there are in all and, when the page is full,
    /// `next_cursor`, where the next (older) page starts.
    public func list(all: Bool, after cursor: Store.ListCursor? = nil) throws -> JSON {
        let statuses: [RequestStatus] = all ? [] : [.pending]
        var rs = try store.requests(status: statuses, after: cursor, newestFirst: true)
        // A pending request past its ttl is expired (recorded) the first time anyone looks.
        let now = System.nowMicros()
        if rs.contains(where: { $0.status == .pending && ($0.expiresMicros ?? .max) <= now }) {
            for r in rs where r.status == .pending && (r.expiresMicros ?? .max) <= now { _ = try snapshot(r.id) }
            rs = try store.requests(status: statuses, after: cursor, newestFirst: true)
        }
        let total = try store.requestCount(status: statuses)
        var fields: [(String, JSON)] = [("requests", .array(try rs.map { RequestTransfer.encode($0, tokens: try store.tokenTexts(for: $0.id)) })),
                                        ("total", .int(total))]
        if rs.count == 200, let last = rs.last { fields.append(("next_cursor", .string(Store.ListCursor(after: last).text))) }
        return .object(fields)
    }

    public func get(_ idText: String, withBlobs: Bool = true) throws -> (RequestRecord, JSON) {
        // As a person types it: the id, or a unique prefix of it.
        let r: RequestRecord
        do { r = try store.findRequest(idText) } catch let f as GateFailure where f.exitCode == ExitCode.usage {
            throw Refusal(404, .unknownRequest, f.message)
        }
        var blobs: [(digest: [UInt8], data: [UInt8])] = []
        if withBlobs {
            for p in (r.context["providers"]?.arrayValue ?? []) + (r.context["bound_contents"]?.arrayValue ?? []) {
                if let d = p["digest"]?.stringValue.flatMap({ try? Hex.decode($0) }), !blobs.contains(where: { $0.digest == d }),
                   let data = try store.blob(d) { blobs.append((d, data)) }
            }
        }
        return (r, RequestTransfer.encode(r, tokens: try store.tokenTexts(for: r.id), blobs: blobs))
    }

    /// What a waiting requester needs: status and every token so far.
    public func snapshot(_ id: RequestID) throws -> (status: RequestStatus, tokens: [String]) {
        let r = try record(id)
        if r.status == .pending, let e = r.expiresMicros, System.nowMicros() >= e {
            try store.write {
                try store.setStatus(id, .expired)
                try store.appendLedger(.cancelled, request: id.compact, actor: "server", payload: .object([("why", .string("expired (the rule's ttl)"))]))
            }
            return (.expired, try store.tokenTexts(for: id))
        }
        return (r.status, try store.tokenTexts(for: id))
    }

    public static func snapshotJSON(_ id: RequestID, _ s: (status: RequestStatus, tokens: [String])) -> JSON {
        .object([("id", .string(id.compact)), ("status", .string(s.status.rawValue)), ("tokens", .array(s.tokens.map(JSON.string)))])
    }
}
