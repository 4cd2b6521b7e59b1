import GateCore
@testable import GateStore
import GateSQLite
import GateSystem
import GateWire
import Glibc
import Testing

/// Schema upgrades are data (Migrations.all): an old database, upgraded, is the same database a
/// new gate makes, and its ledger still verifies.
@Suite struct MigrationTests {
    static func directory() -> String {
        var template = Array("/tmp/gate-migrate-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// Tables, indexes and triggers with their SQL, in name order.
    static func schema(_ path: String) throws -> [String] {
        let db = try Database(path: path, mode: .readOnly)
        let q = try db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
        var out: [String] = []
        while try q.step() { out.append("\(q.text(0)) \(q.text(1)) on \(q.text(2)): \(q.text(3))") }
        return out
    }

    @Test func stepsAreOrderedAndEndAtTheVersionGateWrites() {
        let versions = Migrations.all.map(\.version)
        #expect(versions == Array(1...Int64(versions.count)))
        #expect(Store.schemaVersion == versions.last)
    }

    @Test("a database at any older version, upgraded, has a new one's schema and keeps its ledger", arguments: [1, 2, 3] as [Int64])
    func anOldDatabaseUpgradesToTheSameSchema(from version: Int64) throws {
        let fresh = Self.directory() + "/state.db"
        _ = try Store(path: fresh)

        // The old database, as that version of gate left it: its steps only, and a ledger of three
        // entries written with that version's columns.
        let old = Self.directory() + "/state.db"
        do {
            let db = try Database(path: old)
            try Migrations.apply(db, upTo: version)
            try db.execute("PRAGMA journal_mode=WAL")
            #expect(try db.scalarInt("PRAGMA user_version") == version)
            var previous: (seq: Int64, hash: [UInt8])?
            for (i, kind) in ["requested", "started", "finished"].enumerated() {
                let e = LedgerEntry.next(after: previous, timeMicros: 1_000_000 + Int64(i), kind: kind, requestID: "7K3FQ2XZ",
                                         actor: "alice", payload: "{\"i\":\(i)}")
                try db.prepare("INSERT INTO ledger(seq, time_us, kind, request_id, actor, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)").run([
                    .int(e.seq), .int(e.timeMicros), .text(e.kind), .text(e.requestID), .text(e.actor), .text(e.payload), .blob(e.prevHash), .blob(e.hash),
                ])
                previous = (e.seq, e.hash)
            }
        }
        let upgraded = try Store(path: old)
        #expect(try Self.schema(old) == Self.schema(fresh))
        let report = try upgraded.audit()
        #expect(report.entries == 3 && report.damage == nil)
        // Upgrading again is a no-op: each step is applied once.
        #expect(try Migrations.apply(upgraded.db) == Store.schemaVersion)
        _ = try Store(path: old)
        #expect(try Self.schema(old) == Self.schema(fresh))
    }

    @Test func aNewerDatabaseIsRefusedNotTouched() throws {
        let path = Self.directory() + "/state.db"
        do {
            let db = try Database(path: path)
            try db.execute("PRAGMA user_version = \(Store.schemaVersion + 1)")
        }
        #expect(throws: GateFailure.self) { _ = try Store(path: path) }
        #expect(try Self.schema(path) == [])
    }
}
