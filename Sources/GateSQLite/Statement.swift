import CSQLite

/// A prepared statement. Parameters are 1-based, columns 0-based, as in SQLite itself.
public final class Statement {
    private let database: Database
    private let handle: OpaquePointer
    private let sql: String

    init(database: Database, handle: OpaquePointer, sql: String) {
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    /// Back to the connection's idle statements (reset, bindings cleared), or finalized.
    deinit { database.release(handle, sql: sql) }

    public enum Value: Sendable, Equatable {
        case int(Int64)
        case text(String)
        case blob([UInt8])
        case null
    }

    @discardableResult
    public func bind(_ values: [Value]) throws -> Statement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .int(let v): rc = sqlite3_bind_int64(handle, index, v)
            case .text(let s): rc = sqlite3_bind_text(handle, index, s, -1, csqlite_transient())
            case .blob(let b):
                rc = b.withUnsafeBytes { raw in
                    // A zero-length blob must still be a blob, not NULL: pass a valid pointer.
                    sqlite3_bind_blob(handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(b.count), csqlite_transient())
                }
            case .null: rc = sqlite3_bind_null(handle, index)
            }
            guard rc == SQLITE_OK else { throw database.lastError(rc) }
        }
        return self
    }

    /// Advances to the next row; false when done. Throws on error (constraint violations included).
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.lastError(rc)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Steps to completion, for statements that return no rows.
    public func run(_ values: [Value] = []) throws {
        try bind(values)
        while try step() {}
    }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func text(_ column: Int32) -> String {
        guard let ptr = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: ptr, count: count), as: UTF8.self)
    }

    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let ptr = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: ptr, count: count))
    }

    public func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    /// The column's bytes as stored (text or blob), without copying or decoding; valid only
    /// inside `body`, before the next step.
    public func withBytes<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let ptr = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeRawBufferPointer(start: count > 0 ? ptr : nil, count: count))
    }
}
