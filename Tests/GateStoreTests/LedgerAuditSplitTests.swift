import GateCore
@testable import GateStore
import GateSystem
import GateWire
import Glibc
import Testing

/// `gate audit verify` walks a large ledger as two halves at once. Whatever was done to the
/// ledger, and wherever the split falls, the report must be the one a single walk gives.
@Suite struct LedgerAuditSplitTests {
    static func store() throws -> (Store, String) {
        var template = Array("/tmp/gate-split-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return (try Store(path: dir + "/state.db"), dir)
    }

    static func populate(_ store: Store, entries: Int) throws {
        for i in 1...entries {
            // Every fifth entry an outcome: a checkpoint follows it, as after a run.
            let kind: LedgerKind = i % 5 == 0 ? .finished : .started
            try store.record(kind, request: "RUN\(i / 5)", actor: "alice", payload: .object([("i", .int(Int64(i)))]))
        }
    }

    struct Tamper: Sendable, CustomStringConvertible {
        var name: String
        var sql: String
        var description: String { name }
    }

    static let tampers: [Tamper] = [
        Tamper(name: "none", sql: ""),
        Tamper(name: "edit 12", sql: "DROP TRIGGER ledger_no_update; UPDATE ledger SET actor = 'mallory' WHERE seq = 12"),
        Tamper(name: "delete 20", sql: "DROP TRIGGER ledger_no_delete; DELETE FROM ledger WHERE seq = 20"),
        Tamper(name: "delete 14-16", sql: "DROP TRIGGER ledger_no_delete; DELETE FROM ledger WHERE seq BETWEEN 14 AND 16"),
        Tamper(name: "delete tail", sql: "DROP TRIGGER ledger_no_delete; DELETE FROM ledger WHERE seq > 31"),
        Tamper(name: "relink 9", sql: "DROP TRIGGER ledger_no_update; UPDATE ledger SET prev_hash = zeroblob(32) WHERE seq = 9"),
        Tamper(name: "swap 17/18", sql: """
            DROP TRIGGER ledger_no_update;
            UPDATE ledger SET seq = -1 WHERE seq = 17; UPDATE ledger SET seq = 17 WHERE seq = 18; UPDATE ledger SET seq = 18 WHERE seq = -1
            """),
        Tamper(name: "stray row 0", sql: "INSERT INTO ledger VALUES (0, 0, 'x', 'x', 'x', '{}', zeroblob(32), zeroblob(32))"),
        Tamper(name: "forged checkpoint 25", sql: "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET text = replace(text, 'time 1', 'time 2') WHERE size = 25"),
        Tamper(name: "checkpoint row size", sql: "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET size = 26 WHERE size = 25"),
    ]

    @Test("a split walk reports exactly what one walk reports", arguments: tampers)
    func splitEqualsSingle(_ t: Tamper) throws {
        let (store, dir) = try Self.store()
        defer { _ = try? Spawn.remove(dir) }
        try Self.populate(store, entries: 35)
        if !t.sql.isEmpty { try store.db.execute(t.sql) }
        let single = try store.audit(pinnedKey: nil, external: [], allSignatures: true) { _ in nil }
        if t.name == "none" { #expect(single.damage == nil && single.entries == 35 && single.checkpoints == 7) } else { #expect(single.damage != nil) }
        for mid in Int64(1)...36 {
            let split = try store.audit(pinnedKey: nil, external: [], allSignatures: true) { _ in mid }
            #expect(split.damage == single.damage, "\(t.name), split after \(mid): \(String(describing: split.damage)) vs \(String(describing: single.damage))")
            #expect(split.entries == single.entries && split.head == single.head, "\(t.name), split after \(mid)")
            if single.damage == nil {
                #expect(split.checkpoints == single.checkpoints && split.signaturesVerified == single.signaturesVerified && split.newest == single.newest)
                #expect(split.unended == single.unended, "\(t.name), split after \(mid)")
            }
        }
    }

    /// Many lone starts are counted, and only the oldest are looked into (each costs a look-up).
    @Test func manyUnendedRunsAreCountedAndTheOldestShown() throws {
        let (store, dir) = try Self.store()
        defer { _ = try? Spawn.remove(dir) }
        for k in 0..<(Store.unendedShown + 7) {
            try store.record(.started, request: "RUN\(k)", actor: "alice", payload: .object([]))
        }
        let report = try store.audit()
        #expect(report.unendedCount == Store.unendedShown + 7 && report.unended.count == Store.unendedShown)
        #expect(report.unended.first?.request == "RUN0" && report.unended.last?.request == "RUN\(Store.unendedShown - 1)")
    }

    /// Starts with no end, wherever the split falls between a start and its end: run k starts
    /// and ends, except every third, which only starts (its runner, this process, is alive).
    @Test func unendedRunsAreTheSameForEverySplit() throws {
        let (store, dir) = try Self.store()
        defer { _ = try? Spawn.remove(dir) }
        let me: [(String, JSON)] = [("runner_pid", .int(Int64(getpid()))), ("runner_process", .string(ProcessIdentity.of(getpid()) ?? ""))]
        var expected: [String] = []
        for k in 0..<12 {
            try store.record(.started, request: "RUN\(k)", actor: "alice", payload: .object(me))
            if k % 3 == 1 { expected.append("RUN\(k)") } else {
                try store.record(.finished, request: "RUN\(k)", actor: "alice", payload: .object([("exit_code", .int(0))]))
            }
        }
        // One whose runner is gone (pid 1 with another start time) and one that names none.
        try store.record(.started, request: "GONE", actor: "alice", payload: .object([("runner_pid", .int(1)), ("runner_process", .string("x:1"))]))
        try store.record(.started, request: "OLD", actor: "alice", payload: .object([]))
        let total = try store.ledgerCount()
        for mid in Int64(0)...total {
            let report = try store.audit(pinnedKey: nil, external: [], allSignatures: false) { _ in mid == 0 ? nil : mid }
            #expect(report.unended.map(\.request) == expected + ["GONE", "OLD"] && report.unendedCount == expected.count + 2, "split after \(mid)")
            #expect(report.unended.map(\.state) == Array(repeating: .running, count: expected.count) + [.outcomeUnknown, .unknown], "split after \(mid)")
        }
    }
}

enum Spawn {
    static func remove(_ dir: String) throws {
        for name in ["state.db", "state.db-wal", "state.db-shm", "ledger.key"] { unlink(dir + "/" + name) }
        rmdir(dir)
    }
}
