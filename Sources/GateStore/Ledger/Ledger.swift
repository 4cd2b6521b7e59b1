import GateCore
internal import GateSQLite
import GateWire
import GateSystem

/// Event kinds written to the ledger (SPEC.md §6).
public enum LedgerKind: String, Sendable {
    case requested, approved, denied, refused, started, finished, cancelled
    /// A run without approval under a rule's `break-glass`: the start record of that run.
    case breakGlass = "break-glass"
    /// An approver's signed after-review of a break-glass run.
    case reviewed
    /// On a gate server: a host's checkpoint copy (BrokerCheckpoints.swift).
    case checkpointCopy = "checkpoint-copy"
    /// The text of a policy, recorded before the first entry made under it (PolicyRecord.swift).
    case policy
}

extension Store {
    /// Appends one entry. Call inside `write` so the head read and the insert are one transaction
    /// (another process appending at the same time waits for the lock instead of forking the chain).
    /// `at`: the entry's time, when the caller has checked something against it (a start's
    /// tokens were valid at the time its entry records); read inside the same transaction.
    @discardableResult
    public func appendLedger(_ kind: LedgerKind, request: String, actor: String, payload: JSON, at: Int64? = nil) throws -> LedgerEntry {
        let head = try db.prepare("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
        let previous: (seq: Int64, hash: [UInt8])? = try head.step() ? (head.int(0), head.blob(1)) : nil
        if !headChecked {
            try checkReachesHead(last: previous)
            headChecked = true
        }
        let entry = LedgerEntry.next(after: previous, timeMicros: at ?? System.nowMicros(), kind: kind.rawValue,
                                     requestID: request, actor: actor, payload: payload.serialized())
        try db.prepare("INSERT INTO ledger(seq, time_us, kind, request_id, actor, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)").run([
            .int(entry.seq), .int(entry.timeMicros), .text(entry.kind), .text(entry.requestID), .text(entry.actor),
            .text(entry.payload), .blob(entry.prevHash), .blob(entry.hash),
        ])
        if Syslog.facility != nil { pendingSyslog.append(Syslog.line(for: entry)) }
        try checkpointIfDue(after: entry, kind: kind)
        return entry
    }

    /// Appends one entry in a transaction of its own.
    @discardableResult
    public func record(_ kind: LedgerKind, request: String, actor: String, payload: JSON) throws -> LedgerEntry {
        try write { try appendLedger(kind, request: request, actor: actor, payload: payload) }
    }

    /// Calls `body` for each entry in seq order, streaming (one row in memory at a time).
    public func forEachLedgerEntry(request: String? = nil, afterSeq: Int64 = 0, _ body: (LedgerEntry) throws -> Bool) throws {
        if let request {
            try streamLedger("request_id = ? AND seq > ?", [.text(request), .int(afterSeq)], body)
        } else {
            try streamLedger("seq > ?", [.int(afterSeq)], body)
        }
    }

    /// Every entry of one kind by one actor, in seq order (a scan: for what is rare).
    public func forEachLedgerEntry(kind: String, actor: String, _ body: (LedgerEntry) throws -> Bool) throws {
        try streamLedger("kind = ? AND actor = ?", [.text(kind), .text(actor)], body)
    }

    /// The newest entry of one kind for one request id (through the request index).
    public func newestLedgerEntry(kind: String, request: String) throws -> LedgerEntry? {
        var found: LedgerEntry?
        try streamLedger("seq = (SELECT max(seq) FROM ledger WHERE request_id = ? AND kind = ?)", [.text(request), .text(kind)]) {
            found = $0
            return false
        }
        return found
    }

    /// The first and last seq of entries with `from <= time_us < until`, from the time index.
    /// Reading the rows between in seq (rowid) order with the time filter applied needs no sort
    /// (a million rows sorted by seq would spill to temporary files).
    func seqRange(fromMicros: Int64, untilMicros: Int64) throws -> ClosedRange<Int64>? {
        try wrap {
            let s = try db.prepare("SELECT min(seq), max(seq) FROM ledger WHERE time_us >= ? AND time_us < ?")
                .bind([.int(fromMicros), .int(untilMicros)])
            return try s.step() && !s.isNull(0) ? s.int(0)...s.int(1) : nil
        }
    }

    static func stream(_ db: Database, seq range: ClosedRange<Int64>, _ body: (LedgerEntry) throws -> Bool) throws {
        try stream(db, "seq >= ? AND seq <= ?", [.int(range.lowerBound), .int(range.upperBound)], body)
    }

    /// The one place ledger rows are read and turned into entries.
    private func streamLedger(_ condition: String, _ values: [Statement.Value], _ body: (LedgerEntry) throws -> Bool) throws {
        try wrap { try Self.stream(db, condition, values, body) }
    }

    private static func stream(_ db: Database, _ condition: String, _ values: [Statement.Value], _ body: (LedgerEntry) throws -> Bool) throws {
        let s = try db.prepare("SELECT seq, time_us, kind, request_id, actor, payload, prev_hash, hash FROM ledger WHERE \(condition) ORDER BY seq")
            .bind(values)
        while try s.step() {
            let e = LedgerEntry(seq: s.int(0), timeMicros: s.int(1), kind: s.text(2), requestID: s.text(3), actor: s.text(4),
                                payload: s.text(5), prevHash: s.blob(6), hash: s.blob(7))
            guard try body(e) else { break }
        }
    }

    public func ledgerCount() throws -> Int64 {
        try wrap { try db.scalarInt("SELECT count(*) FROM ledger") ?? 0 }
    }

    /// A decision on a request of this host's (signed by the approver's gate, and checked): the
    /// token stored, its ledger entry, and the request's status when the decision ends it (a
    /// denial, an after-review). One transaction.
    public func recordDecision(_ token: SignedToken, request id: RequestID, approver: String, review: Bool) throws {
        try write {
            try addToken(token, request: id)
            let kind: LedgerKind = review ? .reviewed : token.payload.decision == .approve ? .approved : .denied
            try appendLedger(kind, request: id.compact, actor: approver, payload: LedgerPayload.decision(token, approver: approver))
            if review { try setStatus(id, .reviewed) } else if token.payload.decision == .deny { try setStatus(id, .denied) }
        }
    }
}
