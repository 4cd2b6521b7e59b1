import GateSQLite
import Glibc
import Testing

/// Issue 17: a connection keeps its statements prepared. A statement taken from the cache starts
/// afresh (reset, no bindings left from its last use), and the same SQL used twice at once gets
/// two statements, so a nested query never steps its caller's cursor.
@Suite struct StatementCacheTests {
    static func database() throws -> Database {
        var template = Array("/tmp/gate-stmt-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        let db = try Database(path: dir + "/t.db")
        try db.execute("CREATE TABLE t(n INTEGER); INSERT INTO t VALUES (1),(2),(3)")
        return db
    }

    @Test func aCachedStatementStartsAfresh() throws {
        let db = try Self.database()
        let sql = "SELECT count(*) FROM t WHERE n >= ?"
        do {
            let s = try db.prepare(sql).bind([.int(2)])
            #expect(try s.step() && s.int(0) == 2)
        }
        // Reused: the earlier binding is gone (an unbound parameter is NULL: nothing is >= NULL).
        let again = try db.prepare(sql)
        #expect(try again.step() && again.int(0) == 0)
    }

    @Test func theSameSQLNestedGetsItsOwnStatement() throws {
        let db = try Self.database()
        let sql = "SELECT n FROM t ORDER BY n"
        let outer = try db.prepare(sql)
        var seen: [Int64] = []
        while try outer.step() {
            seen.append(outer.int(0))
            let inner = try db.prepare(sql)
            var count = 0
            while try inner.step() { count += 1 }
            #expect(count == 3)
        }
        #expect(seen == [1, 2, 3])
    }
}
