import GateSystem
internal import GateSQLite
import Glibc

/// The digests of interpreters (the ELF loader, a script's `#!` interpreter) that only root can
/// change, remembered by inode (SPEC.md §6): a run that needs approval binds them, and hashing the
/// 215 KB dynamic loader was a tenth of `gate --token … -- CMD` (BENCHMARKS.md, issue 17).
///
/// Remembered only for a regular file owned by root, writable by nobody else (no group or other
/// write bit, no ACL), reached by a path only root controls (every directory and symlink on it
/// root's, FileSafety.isRootControlled: nobody else can swap what the path names), whose change
/// time is at least `settled` seconds old when it is hashed: every write to a file moves its
/// change time, which nobody but root can set, and a change time that old cannot be shared by a
/// later write. A row someone else wrote into the database (the requester owns it in single-user
/// mode) can then only make a capture disagree with what the approver hashed, never agree with a
/// file that changed. The approver's own check before signing hashes afresh. Best effort: a cache
/// that cannot be read or written is not used.
extension Store {
    static let settled: Int64 = 2

    /// Whose rows the cache may trust: the daemon's database (no requester writes it), or a
    /// requester who is root in the initial user namespace (who can change the files anyway).
    /// A user's own database in single-user mode is theirs to write, and inside a user namespace
    /// their own files can look root's: there every file is hashed.
    static var cacheTrusted: Bool { DaemonWorkerMode.active || rootInInitialNamespace }

    private static var rootInInitialNamespace: Bool { System.euid == 0 && System.inInitialUserNamespace() == true }

    /// BLAKE2b-256 of the file at `path`.
    public func fileDigest(_ path: String) throws -> [UInt8] {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, errno: errno) }
        defer { close(fd) }
        return try fileDigest(fd: fd, path: path)
    }

    /// BLAKE2b-256 of the file open at `fd`, which was opened as `path`.
    public func fileDigest(fd: Int32, path: String) throws -> [UInt8] {
        var st = stat()
        guard Self.cacheTrusted, fstat(fd, &st) == 0, FileSafety.onlyRootWrites(st, fd: fd), FileSafety.isRootControlled(path) else {
            return try Files.digest(fd: fd, path: path)
        }
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        let key: [Statement.Value] = [.int(Int64(bitPattern: UInt64(st.st_dev))), .int(Int64(bitPattern: UInt64(st.st_ino)))]
        if let s = try? db.prepare("SELECT size, mtime_ns, ctime_ns, digest FROM file_digests WHERE dev = ? AND ino = ?").bind(key),
           (try? s.step()) == true, s.int(0) == Int64(st.st_size), s.int(1) == mtime, s.int(2) == ctime {
            let digest = s.blob(3)
            if digest.count == 32 { return digest }
        }
        let digest = try Files.digest(fd: fd, path: path)
        // A file changed in the last moments may change again within the same clock tick.
        guard Int64(st.st_ctim.tv_sec) <= Int64(System.nowSeconds()) - Self.settled else { return digest }
        remember(key + [.int(Int64(st.st_size)), .int(mtime), .int(ctime), .blob(digest)])
        return digest
    }

    /// Stored without waiting for the write lock and without a sync of its own (a lost row is
    /// only hashed again); the next durable commit carries it.
    private func remember(_ row: [Statement.Value]) {
        db.setBusyTimeout(milliseconds: 0)
        defer { db.setBusyTimeout(milliseconds: 10_000) }
        _ = try? db.execute("PRAGMA synchronous=NORMAL")
        defer { _ = try? db.execute("PRAGMA synchronous=FULL") }
        _ = try? db.immediateTransaction {
            try db.prepare("INSERT OR REPLACE INTO file_digests(dev, ino, size, mtime_ns, ctime_ns, digest) VALUES (?,?,?,?,?,?)").run(row)
        }
    }
}
