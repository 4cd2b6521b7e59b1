import GateCrypto
internal import GateSQLite
import GateSystem
import GateWire
import Glibc

extension Store {
    /// `gate audit backup FILE`: one consistent copy of the state database as committed now,
    /// with what still lives only in the write-ahead log (copying `state.db` alone, or losing
    /// `state.db-wal`, drops every entry since SQLite last folded the log back). Written beside
    /// FILE under a temporary name and linked into place: never a partial file, never over an
    /// existing one.
    public func backup(to path: String) throws {
        if Files.info(path) != nil { throw GateFailure.usage("\(path) exists; a backup is never overwritten", hint: "choose a new file name") }
        let temp = Files.temporaryName(beside: path)
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temp + suffix) } }
        do { try db.backup(to: temp) } catch let e as SQLiteError {
            throw GateFailure(.ioError, "cannot write the backup \(path): \(e.message)")
        }
        // The copy verifies as the original does before it is put in place.
        let copy = try Store(path: temp)
        let report = try copy.audit()
        if let damage = report.damage { throw GateFailure(.dataError, "the backup does not verify at entry \(damage.seq): \(damage)") }
        do { try Files.linkIntoPlace(temp, at: path) } catch let e as FileError {
            throw GateFailure(.ioError, "cannot write the backup \(path): \(e.message)")
        }
    }
}
