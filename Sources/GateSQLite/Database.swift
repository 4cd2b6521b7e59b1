import CSQLite

/// An SQLite error with the library's message and primary result code.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case constraint, busy, corrupt, notADatabase, readOnly, cantOpen, full, ioError, other }
    public let code: Int32
    public let message: String

    public var kind: Kind {
        switch code & 0xff {
        case SQLITE_CONSTRAINT: return .constraint
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy
        case SQLITE_CORRUPT: return .corrupt
        case SQLITE_NOTADB: return .notADatabase
        case SQLITE_READONLY: return .readOnly
        case SQLITE_CANTOPEN: return .cantOpen
        case SQLITE_FULL: return .full
        case SQLITE_IOERR: return .ioError
        default: return .other
        }
    }

    /// A UNIQUE or PRIMARY KEY violation (the extended code), as opposed to another constraint
    /// such as a trigger's RAISE(ABORT): only this one means "already there".
    public var isDuplicateKey: Bool {
        // SQLITE_CONSTRAINT_PRIMARYKEY and _UNIQUE are macros that do not import.
        code == SQLITE_CONSTRAINT | (6 << 8) || code == SQLITE_CONSTRAINT | (8 << 8)
    }

    public var description: String { message }
}

/// One connection. Not shared between threads (gate is single-threaded around its store).
public final class Database {
    let handle: OpaquePointer

    public enum Mode { case readWriteCreate, readWrite, readOnly }

    public init(path: String, mode: Mode = .readWriteCreate) throws {
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        // gate-unix: SQLite's unix VFS without a directory sync per process (shim.h).
        let rc = sqlite3_open_v2(path, &db, flags, csqlite_gate_vfs_name())
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message)
        }
        handle = db
    }

    deinit {
        for statement in idleHandles { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// How long a writer waits for another process's lock before SQLITE_BUSY.
    public func setBusyTimeout(milliseconds: Int32) {
        busyMilliseconds = milliseconds
        sqlite3_busy_timeout(handle, milliseconds)
    }
    private var busyMilliseconds: Int32 = 0

    /// Keeps the WAL and shared-memory files between connections and skips the checkpoint on
    /// close. A short-lived process (every gate invocation) then pays one fsync per commit instead
    /// of also creating, syncing and deleting the WAL each time. The WAL is folded back into the
    /// database once a commit leaves `foldAt` pages or more in it, and emptied then (shim.h:
    /// SQLite's own automatic checkpoint left a log that every next process re-read and folded
    /// again). Call after setBusyTimeout.
    public func keepWriteAheadLogOpen(foldAt pages: Int32) {
        _ = csqlite_persist_wal(handle, 1)
        _ = csqlite_no_checkpoint_on_close(handle, 1)
        csqlite_fold_at(handle, min(max(pages, 1), 0xffff), busyMilliseconds)
    }

    /// Folds the whole WAL into the database now and empties it, waiting for no one; returns
    /// false when a writer or reader was in the way (the fold is then partial or left for later).
    @discardableResult
    public func foldWriteAheadLog() -> Bool {
        csqlite_fold(handle, "main", busyMilliseconds) == SQLITE_OK
    }

    /// Copies the whole database, as committed now (the WAL's contents included), into a new
    /// file at `path` with SQLite's online backup API; other processes may keep writing.
    public func backup(to path: String) throws {
        let target = try Database(path: path)
        guard let b = sqlite3_backup_init(target.handle, "main", handle, "main") else { throw target.lastError(sqlite3_errcode(target.handle)) }
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(b, -1)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { sqlite3_sleep(20) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        let finish = sqlite3_backup_finish(b)
        guard rc == SQLITE_DONE, finish == SQLITE_OK else { throw target.lastError(rc == SQLITE_DONE ? finish : rc) }
    }

    /// Runs one or more statements that return no rows (DDL, pragmas, BEGIN/COMMIT).
    public func execute(_ sql: String) throws {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errmsg)
            throw SQLiteError(code: rc, message: message)
        }
    }

    /// Statements prepared on this connection and not in use, by their SQL: a run prepares the
    /// same few statements again and again (the two ledger appends, status changes, meta look-ups),
    /// and each preparation parses and plans anew (BENCHMARKS.md, issue 17). A statement in use
    /// is taken out, so a nested use of the same SQL prepares its own. Two arrays searched in
    /// order, not a Dictionary: at most `idleLimit` of them, and the first use of a
    /// [String: OpaquePointer] cost a run a scan of every protocol conformance in the binary
    /// (~0.14 M instructions, callgrind, issue 17).
    private var idleSQL: [String] = []
    private var idleHandles: [OpaquePointer] = []
    private static let idleLimit = 64

    public func prepare(_ sql: String) throws -> Statement {
        if let i = idleSQL.firstIndex(of: sql) {
            idleSQL.remove(at: i)
            return Statement(database: self, handle: idleHandles.remove(at: i), sql: sql)
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw lastError(rc) }
        return Statement(database: self, handle: stmt, sql: sql)
    }

    func release(_ statement: OpaquePointer, sql: String) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        if idleSQL.count < Self.idleLimit && !idleSQL.contains(sql) {
            idleSQL.append(sql)
            idleHandles.append(statement)
        } else {
            sqlite3_finalize(statement)
        }
    }

    /// Runs `body` inside BEGIN IMMEDIATE ... COMMIT (the write lock is taken up front, so two
    /// processes appending to the ledger serialise instead of failing halfway). Rolls back on error.
    public func immediateTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Convenience for single-value queries such as `PRAGMA user_version`.
    public func scalarInt(_ sql: String) throws -> Int64? {
        let stmt = try prepare(sql)
        guard try stmt.step() else { return nil }
        return stmt.isNull(0) ? nil : stmt.int(0)
    }

    func lastError(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle) == 0 ? rc : sqlite3_extended_errcode(handle),
                    message: String(cString: sqlite3_errmsg(handle)))
    }
}
