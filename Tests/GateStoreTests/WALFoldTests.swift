import GateCore
@testable import GateStore
import GateSystem
import GateWire
import Glibc
import Testing

/// Issue 17: every gate process is the WAL's first reader. With SQLite's own automatic
/// checkpoint, a log folded into state.db by one process still read as whole to the next, which
/// re-read every frame and, at its first commit, folded them all into state.db again (two more
/// syncs and the pages rewritten). A fold now empties the log for the next process (its header
/// zeroed, its blocks kept), and nothing already on record is lost. (Across real processes:
/// WALFoldE2ETests.)
@Suite struct WALFoldTests {
    static func directory() -> String {
        var template = Array("/tmp/gate-fold-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    static func stamp(_ path: String) -> (size: Int64, mtime: Int64, ctime: Int64) {
        var st = stat()
        _ = stat(path, &st)
        return (Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    /// Appends entries in one connection (a gate process's) until a commit folds the log, and
    /// ends with that commit: the fold is the last thing the connection did.
    static func appendUntilFolded(_ dir: String) throws -> Int {
        let store = try Store(path: dir + "/state.db")
        var entries = 0
        let before = stamp(dir + "/state.db")
        repeat {
            try store.record(entries % 2 == 0 ? .started : .finished, request: "RUN\(entries / 2)", actor: "alice",
                             payload: .object([("i", .int(Int64(entries)))]))
            entries += 1
        } while stamp(dir + "/state.db") == before && entries < 400
        return entries
    }

    @Test func aFoldLeavesAnEmptyLogThatTheNextProcessNeitherRereadsNorFoldsAgain() throws {
        let dir = Self.directory()
        // A first connection makes the schema (and may fold it in); then the runs.
        _ = try Store(path: dir + "/state.db")
        let entries = try Self.appendUntilFolded(dir)
        #expect(entries < 400, "no fold after \(entries) entries")
        // The log's header is zeroed (an empty log to the next reader), its blocks kept.
        let wal = try Files.read(dir + "/state.db-wal")
        #expect(wal.count > 32)
        #expect(wal.prefix(32).allSatisfy { $0 == 0 }, "the WAL still has a header after a fold: \(Array(wal.prefix(8)))")
        // The next connection's commits write the log only: state.db is not folded into again.
        let folded = Self.stamp(dir + "/state.db")
        usleep(20_000)
        let next = try Store(path: dir + "/state.db")
        try next.record(.started, request: "NEXT", actor: "alice", payload: .object([]))
        try next.record(.finished, request: "NEXT", actor: "alice", payload: .object([("exit", .int(0))]))
        #expect(Self.stamp(dir + "/state.db") == folded, "the next process folded the log into state.db again")
        #expect(try next.ledgerCount() == Int64(entries + 2))
    }

    @Test func everyEntrySurvivesFoldsAndFreshConnections() throws {
        let dir = Self.directory()
        var total = 0
        // Many short-lived connections (each a gate process's), across several folds.
        for round in 0..<40 {
            let store = try Store(path: dir + "/state.db")
            try store.record(.started, request: "R\(round)", actor: "alice", payload: .object([("round", .int(Int64(round)))]))
            try store.record(.finished, request: "R\(round)", actor: "alice", payload: .object([("exit", .int(0))]))
            total += 2
            #expect(try store.ledgerCount() == Int64(total))
        }
        let store = try Store(path: dir + "/state.db")
        guard case .checkpoint(let head) = store.head() else { Issue.record("no head file"); return }
        let report = try store.audit(external: [head])
        #expect(report.damage == nil)
        #expect(try store.ledgerCount() == Int64(total))
    }
}
