import GateCore
import GateCrypto
internal import GateSQLite
import GateWire
import GateSystem

/// `gate audit verify`: the chain and the checkpoints in one streaming pass (SPEC.md §6.3).
///
/// A large ledger is walked as two halves at once, each on its own connection and thread: an
/// entry's hash depends only on its own row (its stored prev_hash included), so the second half
/// can start from the stored hash of the last entry of the first, and the first half checks that
/// entry. The first damage in seq order is reported, as a single walk would.
extension Store {
    public struct AuditReport: Sendable {
        public var entries: Int64
        public var head: [UInt8]
        public var damage: LedgerAudit.Damage?
        public var ledgerID: String
        public var key: PublicKey?
        public var checkpoints: Int64
        public var signaturesVerified: Int64
        public var newest: SignedCheckpoint?
        /// Entries after the newest checkpoint: no signature covers them yet.
        public var uncovered: Int64 { entries - (newest?.body.size ?? 0) }
        /// Runs whose start is on record and whose end is not (LoneStarts.swift): how many, and
        /// the oldest of them, each judged by its runner.
        public var unendedCount = 0
        public var unended: [UnendedRun] = []
        /// Starts whose approvals were checked against the recorded policy, and those older than
        /// the first recorded policy (nothing to check them against).
        public var approvalsChecked = 0
        public var approvalsUnchecked = 0
    }

    /// Below this many entries one walk is fast enough.
    static let parallelAuditThreshold: Int64 = 100_000

    /// - Parameters:
    ///   - pinnedKey: the ledger key the auditor expects; the recorded one must be it.
    ///   - external: checkpoints kept elsewhere (an auditor's copy, syslog, the server), each
    ///     checked in full against the chain.
    public func audit(pinnedKey: PublicKey? = nil, external: [SignedCheckpoint] = [], allSignatures: Bool = false) throws -> AuditReport {
        try audit(pinnedKey: pinnedKey, external: external, allSignatures: allSignatures) { total in
            total >= Self.parallelAuditThreshold ? total / 2 : nil
        }
    }

    /// `split` picks the last entry of the first half (nil: one walk); tests try every point.
    func audit(pinnedKey: PublicKey?, external: [SignedCheckpoint], allSignatures: Bool,
               split: (Int64) -> Int64?) throws -> AuditReport {
        let ledgerID = try ledgerID()
        let recorded = try recordedLedgerKey()
        if let pinnedKey, let recorded, pinnedKey != recorded {
            throw GateFailure(.dataError, "the ledger key recorded in \(path) is \(recorded.id), not the expected \(pinnedKey.id): the ledger was re-keyed")
        }
        let key = pinnedKey ?? recorded
        // One snapshot for the size, the newest checkpoint, the first half and the leftovers (a
        // run appending meanwhile must not look like a checkpoint beyond the end).
        return try wrap {
            try db.execute("BEGIN")
            defer { try? db.execute("COMMIT") }
            let total = try db.scalarInt("SELECT coalesce(max(seq), 0) FROM ledger") ?? 0
            // A row below 1 is outside any walk: name it rather than skip it.
            if let low = try db.scalarInt("SELECT min(seq) FROM ledger"), low < 1 {
                return AuditReport(entries: 0, head: LedgerEntry.genesisHash, damage: .chain(.gap(expected: 1, found: low)),
                                   ledgerID: ledgerID, key: key, checkpoints: 0, signaturesVerified: 0, newest: nil)
            }
            let newestSize = try db.scalarInt("SELECT max(size) FROM checkpoints")
            let externals = external.sorted { $0.body.size < $1.body.size }
            func part(_ lo: Int64, _ hi: Int64, _ db: Database) throws -> AuditPart {
                var audit = LedgerAudit(ledgerID: ledgerID, key: key, newestSize: newestSize, allSignatures: allSignatures)
                if lo > 1 {
                    let s = try db.prepare("SELECT hash FROM ledger WHERE seq = ?").bind([.int(lo - 1)])
                    audit.start(count: lo - 1, head: try s.step() ? s.blob(0) : LedgerEntry.genesisHash)
                }
                return try Self.walk(db, lo...hi, audit: audit, externals: externals.filter { (lo == 1 ? 0 : lo)...hi ~= $0.body.size })
            }

            var parts: [AuditPart]
            if let mid = split(total), mid >= 1, mid < total {
                let second = try Database(path: path, mode: .readOnly)
                second.setBusyTimeout(milliseconds: 10_000)
                let results = try Concurrently.both({ try part(1, mid, self.db) }, { try part(mid + 1, total, second) })
                parts = [results.0, results.1]
            } else {
                parts = [try part(1, total, db)]
            }
            var report = AuditReport(entries: 0, head: LedgerEntry.genesisHash, damage: nil, ledgerID: ledgerID, key: key,
                                     checkpoints: 0, signaturesVerified: 0, newest: nil)
            (report.unendedCount, report.unended) = try unendedRuns(parts.map(\.starts))
            var approvals = ApprovalAudit()
            for p in parts where p.damage == nil {
                for e in p.approvalEntries {
                    do {
                        let payload = try JSON.parse(e.payload)
                        if e.request == nil { try approvals.policy(seq: e.seq, payload: payload) }
                        else { try approvals.start(seq: e.seq, request: e.request!, payload: payload) }
                    } catch let problem as ApprovalAudit.Problem {
                        report.damage = .approval(problem)
                        break
                    } catch {
                        report.damage = .approval(.init(seq: e.seq, message: "its payload is not JSON"))
                        break
                    }
                }
                if report.damage != nil { break }
            }
            (report.approvalsChecked, report.approvalsUnchecked) = (approvals.checked, approvals.unchecked)
            let approvalDamage = report.damage
            for p in parts {
                report.checkpoints += p.audit.checkpoints
                report.signaturesVerified += p.audit.signaturesVerified
                report.newest = p.audit.newest ?? report.newest
                report.entries = p.audit.chain.count
                report.head = p.audit.chain.head
                if let d = p.damage { report.damage = d; return report }
            }
            // A broken chain is named first; an approval is judged only on a whole one.
            if let approvalDamage { report.damage = approvalDamage; return report }
            // Checkpoints beyond the last entry cover entries that are not there.
            var last = externals.last { $0.body.size > total }
            var leftover = parts[parts.count - 1].audit
            let rows = try db.prepare("SELECT size, text FROM checkpoints WHERE size > ? ORDER BY size").bind([.int(total)])
            while try rows.step() {
                guard let cp = try? SignedCheckpoint(parsing: rows.text(1)) else {
                    if last == nil { report.damage = .malformedCheckpoint(size: rows.int(0), "it does not parse") }
                    continue
                }
                if cp.body.size >= (last?.body.size ?? 0) { last = cp }
            }
            if let last { report.damage = leftover.leftOver(last) }
            return report
        }
    }

    struct AuditPart {
        var audit: LedgerAudit
        var damage: LedgerAudit.Damage?
        var starts = StartTracker()
        /// `policy` entries (request nil) and starts that record approvals, in seq order.
        var approvalEntries: [(seq: Int64, request: String?, payload: String)] = []
    }

    /// Walks entries `range` and settles every checkpoint (the table's, and `externals`) whose
    /// size falls in it as the walk reaches that size.
    static func walk(_ db: Database, _ range: ClosedRange<Int64>, audit start: LedgerAudit,
                     externals: [SignedCheckpoint]) throws -> AuditPart {
        var audit = start
        var starts = StartTracker()
        var approvalEntries: [(seq: Int64, request: String?, payload: String)] = []
        let firstSize = range.lowerBound == 1 ? 0 : range.lowerBound
        let checkpointRows = try db.prepare("SELECT size, text FROM checkpoints WHERE size >= ? AND size <= ? ORDER BY size")
            .bind([.int(firstSize), .int(range.upperBound)])
        var externals = externals[...]
        var fromTable: Result<SignedCheckpoint, LedgerAudit.Damage>?
        var tableSize: Int64?
        func readRow() throws {
            guard try checkpointRows.step() else { fromTable = nil; tableSize = nil; return }
            let size = checkpointRows.int(0)
            tableSize = size
            do {
                let cp = try SignedCheckpoint(parsing: checkpointRows.text(1))
                fromTable = cp.body.size == size ? .success(cp) : .failure(.malformedCheckpoint(size: size, "its row says size \(size), its text \(cp.body.size)"))
            } catch let e as WireError {
                fromTable = .failure(.malformedCheckpoint(size: size, e.description))
            }
        }
        try readRow()
        /// Settles every checkpoint at or below the walk's position; the first damage, if any.
        func settle() throws -> LedgerAudit.Damage? {
            while true {
                let count = audit.chain.count
                if let ext = externals.first, ext.body.size <= count, ext.body.size <= (tableSize ?? .max) {
                    externals.removeFirst()
                    if let d = audit.settle(ext, external: true) { return d }
                } else if let row = fromTable, let size = tableSize, size <= count {
                    switch row {
                    case .failure(let d): return d
                    case .success(let cp): if let d = audit.settle(cp) { return d }
                    }
                    try readRow()
                } else {
                    return nil
                }
            }
        }
        if let d = try settle() { return AuditPart(audit: audit, damage: d, starts: starts, approvalEntries: approvalEntries) }
        // Rows are hashed straight from SQLite's buffers: no Strings for a million payloads.
        let rows = try db.prepare("SELECT seq, time_us, kind, request_id, actor, payload, prev_hash, hash FROM ledger WHERE seq >= ? AND seq <= ? ORDER BY seq")
            .bind([.int(range.lowerBound), .int(range.upperBound)])
        let hasher = BLAKE2b.Hasher()
        while try rows.step() {
            let seq = rows.int(0), time = rows.int(1)
            let d = audit.add(seq: seq, storedHash: rows.blob(7), prevHash: rows.blob(6)) {
                rows.withBytes(2) { k in rows.withBytes(3) { r in rows.withBytes(4) { a in rows.withBytes(5) { p in rows.withBytes(6) { prev in
                    LedgerEntry.hash(seq: seq, timeMicros: time, kind: k, requestID: r, actor: a, payload: p, prevHash: prev, hasher: hasher)
                } } } } }
            }
            rows.withBytes(2) { k in starts.see(seq: seq, kind: k) { rows.text(3) } }
            // Only policies and starts with approvals become Strings (a million allowed runs do not).
            rows.withBytes(2) { k in
                if k.elementsEqual(Self.policyKind) {
                    approvalEntries.append((seq, nil, rows.text(5)))
                } else if k.elementsEqual(Self.startedKind) || k.elementsEqual(Self.breakGlassKind),
                          rows.withBytes(5, { Self.contains($0, Self.approvalsWithOne) }) {
                    approvalEntries.append((seq, rows.text(3), rows.text(5)))
                }
            }
            if let d { return AuditPart(audit: audit, damage: d, starts: starts, approvalEntries: approvalEntries) }
            if let d = try settle() { return AuditPart(audit: audit, damage: d, starts: starts, approvalEntries: approvalEntries) }
        }
        // The range must be walked to its end: rows missing there are a gap, not an early finish.
        if audit.chain.count < range.upperBound {
            let next = try db.prepare("SELECT min(seq) FROM ledger WHERE seq > ?").bind([.int(audit.chain.count)])
            let found = try next.step() && !next.isNull(0) ? next.int(0) : range.upperBound + 1
            return AuditPart(audit: audit, damage: .chain(.gap(expected: audit.chain.count + 1, found: found)), starts: starts, approvalEntries: approvalEntries)
        }
        return AuditPart(audit: audit, damage: nil, starts: starts, approvalEntries: approvalEntries)
    }

    static let policyKind = Array("policy".utf8), startedKind = Array("started".utf8), breakGlassKind = Array("break-glass".utf8)
    static let approvalsWithOne = Array("\"approvals\":[{".utf8)

    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}
