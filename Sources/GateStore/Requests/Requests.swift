import GateCrypto
import GateCompression
import GateCore
internal import GateSQLite
import GateWire
import GateSystem

public enum RequestStatus: String, Sendable, CaseIterable {
    case pending, approved, denied, cancelled, expired, refused, running, finished
    /// A break-glass run waiting for an approver's after-review; `reviewed` once signed.
    case review, reviewed
}

/// A request as stored. The intent digest is always recomputed from the stored canonical intent,
/// never read from a column: what an approver is shown is what they sign.
public struct RequestRecord: Sendable {
    public var id: RequestID
    public var createdMicros: Int64
    public var intent: Intent
    public var status: RequestStatus
    public var reason = ""
    /// The matched rule (`line N`), what it requires, and the digest of the policy that said so.
    public var rule = ""
    public var requirements: [Policy.Requirement] = []
    public var policyDigest: [UInt8] = []
    /// The waiting requester's process (0: not on this host), and its ProcessIdentity ("" before
    /// schema 4), so a reused pid is not taken for it.
    public var requesterPID: Int32 = 0
    public var requesterStart = ""
    public var updatedMicros: Int64
    /// When a pending request expires (the rule's `ttl=`), if it does.
    public var expiresMicros: Int64? = nil
    /// The longest approval lifetime the rule accepts (`approval-ttl=`).
    public var approvalTTL: UInt64? = nil
    /// `--ticket`, shown to approvers.
    public var ticket = ""
    /// The context document (ContextCapture.describe): environment and provider results.
    public var context: JSON = .object([])

    public var digest: IntentDigest { IntentDigest(intent) }

    public init(id: RequestID, createdMicros: Int64, intent: Intent, status: RequestStatus = .pending) {
        self.id = id
        self.createdMicros = createdMicros
        self.intent = intent
        self.status = status
        self.updatedMicros = createdMicros
    }
}

/// `1` or `2 of sre;1 of dba`: how requirements are kept in a column.
enum RequirementsText {
    static func encode(_ rs: [Policy.Requirement]) -> String {
        rs.map { r in r.group.map { "\(r.count) of \($0)" } ?? "\(r.count)" }.joined(separator: ";")
    }

    static func decode(_ s: String) -> [Policy.Requirement] {
        s.split(separator: ";").compactMap { part in
            let w = part.split(separator: " ")
            guard let n = w.first.flatMap({ Int($0) }) else { return nil }
            return Policy.Requirement(count: n, group: w.count == 3 ? String(w[2]) : nil)
        }
    }
}

extension Store {
    static let requestColumns = "id, created_us, intent, reason, rule, requirements, policy_digest, status, requester_pid, updated_us, expires_us, approval_ttl, ticket, context, requester_start"

    public func insert(_ r: RequestRecord) throws {
        try db.prepare("INSERT INTO requests(\(Self.requestColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)").run([
            .text(r.id.compact), .int(r.createdMicros), .blob(r.intent.encoded()), .text(r.reason), .text(r.rule),
            .text(RequirementsText.encode(r.requirements)), .blob(r.policyDigest), .text(r.status.rawValue),
            .int(Int64(r.requesterPID)), .int(r.updatedMicros), r.expiresMicros.map { .int($0) } ?? .null,
            r.approvalTTL.map { .int(Int64($0)) } ?? .null, .text(r.ticket), .text(r.context.serialized()), .text(r.requesterStart),
        ])
    }

    static let compressAbove = 64 << 10

    /// Stores provider outputs once each (a second request with the same plan adds nothing),
    /// compressed when large. Call inside `write`.
    public func storeBlobs(_ blobs: [(digest: [UInt8], data: [UInt8])]) throws {
        for b in blobs {
            let exists = try db.prepare("SELECT 1 FROM context_blobs WHERE digest = ?").bind([.blob(b.digest)])
            if try exists.step() { continue }
            var encoding = "raw", data = b.data
            if b.data.count > Self.compressAbove, let packed = try? Deflate.compress(b.data), packed.count < b.data.count {
                encoding = "zlib"
                data = packed
            }
            try db.prepare("INSERT INTO context_blobs(digest, encoding, size, data) VALUES (?, ?, ?, ?)")
                .run([.blob(b.digest), .text(encoding), .int(Int64(b.data.count)), .blob(data)])
        }
    }

    /// A stored output, checked against its digest (a damaged or altered blob is not shown).
    public func blob(_ digest: [UInt8]) throws -> [UInt8]? {
        try wrap {
            let s = try db.prepare("SELECT encoding, size, data FROM context_blobs WHERE digest = ?").bind([.blob(digest)])
            guard try s.step() else { return nil }
            let data: [UInt8]
            switch s.text(0) {
            case "raw": data = s.blob(2)
            case "zlib":
                do { data = try Deflate.decompress(s.blob(2), size: Int(s.int(1))) } catch {
                    throw GateFailure(.dataError, "stored context \(Hex.encode(digest).prefix(12))… is damaged: \(error)")
                }
            default: throw GateFailure(.dataError, "stored context \(Hex.encode(digest).prefix(12))… has an unknown encoding")
            }
            guard BLAKE2b.hash(data) == digest else {
                throw GateFailure(.dataError, "stored context \(Hex.encode(digest).prefix(12))… does not match its digest (altered)")
            }
            return data
        }
    }

    public func setStatus(_ id: RequestID, _ status: RequestStatus) throws {
        try wrap {
            try db.prepare("UPDATE requests SET status = ?, updated_us = ? WHERE id = ?")
                .run([.text(status.rawValue), .int(System.nowMicros()), .text(id.compact)])
        }
    }

    private func record(from s: Statement) throws -> RequestRecord {
        let idText = s.text(0)
        guard let id = RequestID(idText) else { throw GateFailure(.dataError, "state database holds a malformed request id '\(idText)'") }
        let intent: Intent
        do { intent = try Intent(decoding: s.blob(2)) } catch {
            throw GateFailure(.dataError, "request \(id): stored intent is damaged (\(error))")
        }
        var r = RequestRecord(id: id, createdMicros: s.int(1), intent: intent, status: RequestStatus(rawValue: s.text(7)) ?? .refused)
        r.reason = s.text(3)
        r.rule = s.text(4)
        r.requirements = RequirementsText.decode(s.text(5))
        r.policyDigest = s.blob(6)
        r.requesterPID = Int32(truncatingIfNeeded: s.int(8))
        r.updatedMicros = s.int(9)
        r.expiresMicros = s.isNull(10) ? nil : s.int(10)
        r.approvalTTL = s.isNull(11) ? nil : UInt64(max(0, s.int(11)))
        r.ticket = s.text(12)
        r.context = (try? JSON.parse(s.text(13))) ?? .object([])
        r.requesterStart = s.text(14)
        return r
    }

    public func request(_ id: RequestID) throws -> RequestRecord? {
        try wrap {
            let s = try db.prepare("SELECT \(Self.requestColumns) FROM requests WHERE id = ?").bind([.text(id.compact)])
            return try s.step() ? try record(from: s) : nil
        }
    }

    /// A request's status and expiry alone (the start's re-check inside its transaction: the
    /// intent and context were read and checked before it, and need not be decoded again).
    public func standing(_ id: RequestID) throws -> (status: RequestStatus, expiresMicros: Int64?)? {
        try wrap {
            let s = try db.prepare("SELECT status, expires_us FROM requests WHERE id = ?").bind([.text(id.compact)])
            guard try s.step() else { return nil }
            // As record(from:) reads it: a status this gate does not know stands for nothing.
            return (RequestStatus(rawValue: s.text(0)) ?? .refused, s.isNull(1) ? nil : s.int(1))
        }
    }

    /// Finds a request by id or by a unique prefix of it, as a person types it.
    public func findRequest(_ typed: String) throws -> RequestRecord {
        guard let prefix = RequestID.normalise(typed) else {
            throw GateFailure.usage("'\(typed)' is not a request id (ids look like 7K3F-Q2XZ)")
        }
        return try wrap {
            let s = try db.prepare("SELECT \(Self.requestColumns) FROM requests WHERE id >= ? AND id < ? ORDER BY id LIMIT 2")
                .bind([.text(prefix), .text(prefix + "\u{7f}")])
            guard try s.step() else {
                throw GateFailure(.usage, "no request matches '\(typed)'", hint: "gate list shows pending requests")
            }
            let first = try record(from: s)
            if try s.step() {
                throw GateFailure(.usage, "'\(typed)' matches more than one request; type more of the id")
            }
            return first
        }
    }

    /// Where the next page of a list starts: after the last request shown, by creation time and
    /// then id (two requests made in the same microsecond are both shown, each once).
    /// Its text form is `CREATED_US-ID` (`1795640848961756-7K3FQ2XZ`).
    public struct ListCursor: Equatable, Sendable {
        public var micros: Int64
        public var id: String
        public init(micros: Int64, id: String) { self.micros = micros; self.id = id }
        public init(after r: RequestRecord) { self.init(micros: r.createdMicros, id: r.id.compact) }
        public init?(_ text: String) {
            guard let dash = text.lastIndex(of: "-"), let micros = Int64(text[..<dash]),
                  let id = RequestID(String(text[text.index(after: dash)...])) else { return nil }
            self.init(micros: micros, id: id.compact)
        }
        public var text: String { "\(micros)-\(id)" }
    }

    /// Requests in any of `statuses` (oldest first, or newest first with `newestFirst`), or all
    /// requests (newest first) when empty; with `after`, those past the cursor in that order.
    public func requests(status statuses: [RequestStatus], limit: Int = 200, after cursor: ListCursor? = nil,
                         newestFirst: Bool = false) throws -> [RequestRecord] {
        try wrap {
            let s: Statement
            if !statuses.isEmpty && newestFirst {
                let marks = statuses.map { _ in "?" }.joined(separator: ",")
                let from = cursor ?? ListCursor(micros: .max, id: "")
                s = try db.prepare("SELECT \(Self.requestColumns) FROM requests WHERE status IN (\(marks)) AND (created_us, id) < (?, ?) ORDER BY created_us DESC, id DESC LIMIT ?")
                    .bind(statuses.map { .text($0.rawValue) } + [.int(from.micros), .text(from.id), .int(Int64(limit))])
            } else if !statuses.isEmpty {
                let marks = statuses.map { _ in "?" }.joined(separator: ",")
                let from = cursor ?? ListCursor(micros: .min, id: "")
                s = try db.prepare("SELECT \(Self.requestColumns) FROM requests WHERE status IN (\(marks)) AND (created_us, id) > (?, ?) ORDER BY created_us, id LIMIT ?")
                    .bind(statuses.map { .text($0.rawValue) } + [.int(from.micros), .text(from.id), .int(Int64(limit))])
            } else {
                let from = cursor ?? ListCursor(micros: .max, id: "")
                s = try db.prepare("SELECT \(Self.requestColumns) FROM requests WHERE (created_us, id) < (?, ?) ORDER BY created_us DESC, id DESC LIMIT ?")
                    .bind([.int(from.micros), .text(from.id), .int(Int64(limit))])
            }
            var out: [RequestRecord] = []
            while try s.step() { out.append(try record(from: s)) }
            return out
        }
    }

    /// Pending requests filed by the requester named `name` (a gate server's: the name its
    /// policy registers, recorded in the request's context).
    public func pendingCount(requester name: String) throws -> Int64 {
        try wrap {
            let s = try db.prepare("SELECT count(*) FROM requests WHERE status = 'pending' AND json_extract(context, '$.requester.name') = ?")
                .bind([.text(name)])
            return try s.step() ? s.int(0) : 0
        }
    }

    /// How many requests there are in any of `statuses` (all when empty): a list cut at its
    /// limit says how many it left out.
    public func requestCount(status statuses: [RequestStatus]) throws -> Int64 {
        try wrap {
            let marks = statuses.map { _ in "?" }.joined(separator: ",")
            let s = try db.prepare("SELECT count(*) FROM requests" + (statuses.isEmpty ? "" : " WHERE status IN (\(marks))"))
                .bind(statuses.map { .text($0.rawValue) })
            return try s.step() ? s.int(0) : 0
        }
    }

    public func addToken(_ token: SignedToken, request: RequestID) throws {
        try db.prepare("INSERT INTO tokens(request_id, token, received_us) VALUES (?,?,?)")
            .run([.text(request.compact), .text(token.text), .int(System.nowMicros())])
    }

    /// Tokens submitted for a request, oldest first, as their raw text: parsing is the caller's
    /// job, so a damaged row is reported as a refusal and never skipped.
    public func tokenTexts(for request: RequestID) throws -> [String] {
        try wrap {
            let s = try db.prepare("SELECT token FROM tokens WHERE request_id = ? ORDER BY id").bind([.text(request.compact)])
            var out: [String] = []
            while try s.step() { out.append(s.text(0)) }
            return out
        }
    }

    /// Whether a token was used already (for saying so before anything else; the mark in the
    /// start transaction is what enforces it).
    public func isUsed(_ useID: [UInt8]) throws -> Bool {
        try wrap {
            let s = try db.prepare("SELECT 1 FROM used_tokens WHERE use_id = ?").bind([.blob(useID)])
            return try s.step()
        }
    }

    /// Marks tokens as used. Must run inside `write`, with the ledger's "started" entry, so that
    /// either both are recorded or neither is. Throws `alreadyUsed` on a replay.
    public func markUsed(_ useIDs: [[UInt8]], request: String) throws {
        let stmt = try db.prepare("INSERT INTO used_tokens(use_id, request_id, used_us) VALUES (?,?,?)")
        for id in useIDs {
            do { try stmt.run([.blob(id), .text(request), .int(System.nowMicros())]) } catch let e as SQLiteError where e.isDuplicateKey {
                throw TokenAlreadyUsed()
            }
        }
    }
}

public struct TokenAlreadyUsed: Error {}
