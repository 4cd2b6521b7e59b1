import GateCore
@testable import GateStore
import GateSystem
import GateWire
import Glibc
import Testing

/// Issue 13, item 6: the newest entries of a WAL database live only in `state.db-wal`. Whatever
/// loses them (a deleted WAL, `state.db` copied or restored alone, a database recreated beside the
/// old key), the shorter chain must not verify and nothing may be appended to it.
@Suite struct LedgerHeadTests {
    static func directory() -> String {
        var template = Array("/tmp/gate-head-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// `runs` runs' worth of entries (started, then finished: a checkpoint after each).
    static func populate(_ dir: String, runs: Int, from first: Int = 0) throws {
        let store = try Store(path: dir + "/state.db")
        for i in first..<(first + runs) {
            try store.record(.started, request: "RUN\(i)", actor: "alice", payload: .object([("i", .int(Int64(i)))]))
            try store.record(.finished, request: "RUN\(i)", actor: "alice", payload: .object([("exit", .int(0))]))
        }
    }

    static func appendRefusal(_ dir: String) throws -> GateFailure? {
        let store = try Store(path: dir + "/state.db")
        do {
            try store.record(.started, request: "AFTER", actor: "alice", payload: .object([]))
            return nil
        } catch let f as GateFailure { return f }
    }

    static func audit(_ dir: String) throws -> LedgerAudit.Damage? {
        let store = try Store(path: dir + "/state.db")
        guard case .checkpoint(let head) = store.head() else { Issue.record("no head file"); return nil }
        return try store.audit(external: [head]).damage
    }

    static func remove(_ paths: String...) { for p in paths { unlink(p) } }

    @Test func aDeletedWALIsNoticedByTheNextAppendAndByVerify() throws {
        let dir = Self.directory()
        // Two runs: four entries, fewer pages than Store.walPages, so they live only in the WAL.
        try Self.populate(dir, runs: 2)
        Self.remove(dir + "/state.db-wal", dir + "/state.db-shm")
        let refusal = try #require(try Self.appendRefusal(dir))
        #expect(refusal.exitCode == .dataError)
        #expect(refusal.message.contains("holds the checkpoint of entry 4"), "\(refusal.message)")
        #expect(refusal.message.contains("were lost"))
        guard case .tailRemoved(_, let size, _)? = try Self.audit(dir) else { Issue.record("verify passed a chain that lost its WAL"); return }
        #expect(size == 4)
        // Nothing was appended to the shorter chain.
        #expect(try Store(path: dir + "/state.db").ledgerCount() < 4)
    }

    @Test func aDatabaseCopiedAloneAndRestoredIsNoticed() throws {
        let dir = Self.directory()
        try Self.populate(dir, runs: 2)
        // The copy an operator takes with cp, without the WAL.
        let copy = try Files.read(dir + "/state.db")
        try Self.populate(dir, runs: 3, from: 2)
        Self.remove(dir + "/state.db", dir + "/state.db-wal", dir + "/state.db-shm")
        let fd = open(dir + "/state.db", O_WRONLY | O_CREAT, 0o600)
        _ = copy.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        let refusal = try #require(try Self.appendRefusal(dir))
        #expect(refusal.exitCode == .dataError)
        #expect(try Self.audit(dir) != nil)
    }

    @Test func aRecreatedDatabaseIsANewLedgerAndIsRefused() throws {
        let dir = Self.directory()
        try Self.populate(dir, runs: 2)
        Self.remove(dir + "/state.db", dir + "/state.db-wal", dir + "/state.db-shm")
        let refusal = try #require(try Self.appendRefusal(dir))
        #expect(refusal.exitCode == .dataError)
        #expect(refusal.message.contains("replaced or recreated"), "\(refusal.message)")
        // Moving the head aside is how a new ledger is started on purpose.
        rename(dir + "/ledger.head", dir + "/ledger.head.old")
        #expect(try Self.appendRefusal(dir) == nil)
    }

    @Test func aChainThatNoLongerHashesToTheHeadIsRefused() throws {
        let dir = Self.directory()
        try Self.populate(dir, runs: 2)
        // The entry the (genuine) head covers, replaced: as if the chain had been rewritten.
        try Store(path: dir + "/state.db").db.execute("DROP TRIGGER ledger_no_update; UPDATE ledger SET hash = zeroblob(32) WHERE seq = 4")
        let refusal = try #require(try Self.appendRefusal(dir))
        #expect(refusal.message.contains("do not hash to the head"), "\(refusal.message)")
    }

    @Test func theHeadNeverMovesBackAndATornHeadIsReplaced() throws {
        let dir = Self.directory()
        try Self.populate(dir, runs: 3)
        let store = try Store(path: dir + "/state.db")
        guard case .checkpoint(let newest) = store.head() else { Issue.record("no head"); return }
        #expect(newest.body.size == 6)
        // A slower process that signed an older checkpoint finishes its write last.
        let older = try #require(try store.checkpoint(coveringAtLeast: 2))
        #expect(older.body.size < 6)
        store.advanceHead(to: older)
        guard case .checkpoint(let still) = store.head() else { Issue.record("no head"); return }
        #expect(still.body.size == 6)
        // A torn head (a crash mid-write) detects nothing, and the next checkpoint replaces it.
        let fd = open(dir + "/ledger.head", O_WRONLY | O_TRUNC)
        _ = Array("gate checkpoint v1\nledg".utf8).withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        #expect(try Self.appendRefusal(dir) == nil)
        try Self.populate(dir, runs: 1, from: 9)
        guard case .checkpoint(let replaced) = store.head() else { Issue.record("the torn head stayed"); return }
        #expect(replaced.body.size == 9)
    }

    /// A head nobody with the ledger key signed (size 2^63, say) must not stop all recording:
    /// it is ignored, said once, and replaced by the next checkpoint.
    @Test func aMadeUpHeadIsIgnoredAndReplaced() throws {
        let dir = Self.directory()
        try Self.populate(dir, runs: 2)
        let store = try Store(path: dir + "/state.db")
        let forged = "gate checkpoint v1\nledger \(try store.ledgerID())\nsize 9223372036854775807\nhead \(String(repeating: "0", count: 64))\n"
        let fd = open(dir + "/ledger.head", O_WRONLY | O_TRUNC)
        _ = Array(forged.utf8).withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        #expect(try Self.appendRefusal(dir) == nil)
        try Self.populate(dir, runs: 1, from: 7)
        guard case .checkpoint(let replaced) = store.head() else { Issue.record("the made-up head stayed"); return }
        #expect(replaced.body.size > 4 && replaced.body.size < 100)
    }

    /// Whoever can write the state directory could remove the head anyway; what they must not do
    /// is hang every run with a FIFO in its place (the read never blocks, a link is not followed).
    @Test func aFIFOOrALinkAsTheHeadHangsNothing() throws {
        let dir = Self.directory()
        try Self.populate(dir, runs: 1)
        unlink(dir + "/ledger.head")
        #expect(mkfifo(dir + "/ledger.head", 0o600) == 0)
        #expect(try Self.appendRefusal(dir) == nil)
        try Self.populate(dir, runs: 1, from: 5)
        unlink(dir + "/ledger.head")
        #expect(symlink("/dev/zero", dir + "/ledger.head") == 0)
        #expect(try Self.appendRefusal(dir) == nil)
    }

    /// The WAL is folded into state.db at a bounded size: a copy of state.db alone is never more
    /// than Store.walPages pages behind.
    @Test func theWALIsFoldedAtABoundedSize() throws {
        let dir = Self.directory()
        let store = try Store(path: dir + "/state.db")
        let payload = JSON.string(String(repeating: "x", count: 2000))
        for i in 0..<600 {
            try store.record(.started, request: "RUN\(i)", actor: "alice", payload: .object([("pad", payload)]))
        }
        var st = stat()
        stat(dir + "/state.db-wal", &st)
        let wal = Int64(st.st_size)
        #expect(wal <= (1 << 20) + 64 * 4096, "WAL holds \(wal) bytes")
        // state.db alone, read without its WAL.
        let copyDir = Self.directory()
        let bytes = try Files.read(dir + "/state.db")
        let fd = open(copyDir + "/state.db", O_WRONLY | O_CREAT, 0o600)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        let alone = try Store(path: copyDir + "/state.db").ledgerCount()
        // ~2.1 KB an entry in ~1 page of the ledger and its indexes: a bound of 32 pages leaves
        // well under 100 entries behind.
        #expect(alone >= 600 - 100, "state.db alone holds \(alone) of 600 entries")
    }
}
