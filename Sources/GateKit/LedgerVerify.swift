import GateCore
import GateSQLite
import GateWire

/// `gate audit verify`: the chain and the checkpoints in one streaming pass (SPEC.md §6.3).
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
    }

    /// - Parameters:
    ///   - pinnedKey: the ledger key the auditor expects; the recorded one must be it.
    ///   - external: checkpoints kept elsewhere (an auditor's copy, syslog, the server), each
    ///     checked in full against the chain.
    public func audit(pinnedKey: PublicKey? = nil, external: [SignedCheckpoint] = [], allSignatures: Bool = false) throws -> AuditReport {
        let ledgerID = try ledgerID()
        let recorded = try recordedLedgerKey()
        if let pinnedKey, let recorded, pinnedKey != recorded {
            throw GateFailure(ExitCode.dataError, "the ledger key recorded in \(path) is \(recorded.id), not the expected \(pinnedKey.id): the ledger was re-keyed")
        }
        let newestSize = try wrap { try db.scalarInt("SELECT max(size) FROM checkpoints") }
        var audit = LedgerAudit(ledgerID: ledgerID, key: pinnedKey ?? recorded, newestSize: newestSize, allSignatures: allSignatures)

        // Checkpoints in size order: the table's (streamed) merged with the external ones.
        let rows = try wrap { try db.prepare("SELECT size, text FROM checkpoints ORDER BY size") }
        var externals = external.sorted { $0.body.size < $1.body.size }[...]
        var fromTable: Result<SignedCheckpoint, LedgerAudit.Damage>?
        func readRow() throws {
            guard try rows.step() else { fromTable = nil; return }
            let size = rows.int(0)
            do {
                let cp = try SignedCheckpoint(parsing: rows.text(1))
                fromTable = cp.body.size == size ? .success(cp) : .failure(.malformedCheckpoint(size: size, "its row says size \(size), its text \(cp.body.size)"))
            } catch let e as WireError {
                fromTable = .failure(.malformedCheckpoint(size: size, e.description))
            }
        }
        try wrap { try readRow() }
        var damage: LedgerAudit.Damage?
        /// Settles every checkpoint at or below the walk's position; false on damage.
        func settle() throws -> Bool {
            while true {
                let count = audit.chain.count
                if let ext = externals.first, ext.body.size <= count, ext.body.size <= (tableSize() ?? .max) {
                    externals.removeFirst()
                    damage = ext.body.size == count ? audit.settle(ext, external: true) : .rewritten(size: ext.body.size, signedAt: ext.body.timeMicros)
                } else if let row = fromTable, let size = tableSize(), size <= count {
                    switch row {
                    case .failure(let d): damage = d
                    case .success(let cp): damage = size == count ? audit.settle(cp) : .malformedCheckpoint(size: size, "out of order")
                    }
                    try readRow()
                } else {
                    return true
                }
                if damage != nil { return false }
            }
        }
        func tableSize() -> Int64? {
            switch fromTable {
            case .none: return nil
            case .success(let cp): return cp.body.size
            case .failure(let d): return d.seq
            }
        }
        if try wrap({ try settle() }) {
            try forEachLedgerEntry { entry in
                if let d = audit.add(entry) { damage = d; return false }
                return try settle()
            }
        }
        if damage == nil {
            // What is left covers entries that are not there: report against the newest of it.
            var last = externals.last
            while let row = fromTable {
                if case .success(let cp) = row, cp.body.size >= (last?.body.size ?? 0) { last = cp }
                if case .failure(let d) = row, last == nil { damage = d }
                try wrap { try readRow() }
            }
            if let last { damage = audit.leftOver(last) }
        }
        return AuditReport(entries: audit.chain.count, head: audit.chain.head, damage: damage, ledgerID: ledgerID,
                           key: pinnedKey ?? recorded, checkpoints: audit.checkpoints,
                           signaturesVerified: audit.signaturesVerified, newest: audit.newest)
    }
}
