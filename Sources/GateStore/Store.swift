import GateCore
import GateCrypto
internal import GateSQLite
import GateWire
import Glibc
import GateSystem

/// The local state: pending requests, submitted tokens, used-token markers and the audit ledger,
/// in one SQLite database (WAL, synchronous=FULL) under `$GATE_HOME`, shared by the requester and
/// approvers on the host. Requests and tokens are working state; the ledger is the record.
public final class Store {
    /// The schema version this gate writes: the last of Migrations.all.
    public static var schemaVersion: Int64 { Migrations.latest }
    /// The bound on the WAL (4 KiB pages) before it is folded into the database and emptied.
    /// Small, because every gate process is the WAL's first reader and SQLite re-reads each frame
    /// of it to rebuild its index: at 256 pages that was about 170 page reads per run on average;
    /// at 32, 35, for one more sync of state.db every few runs (BENCHMARKS.md, issue 17).
    public static let walPages = 32
    let db: Database
    public let path: String
    /// The state directory (holds `ledger.key`).
    public let home: String
    // Checkpoint signing state for this process (Checkpoints.swift).
    var ledgerKeyCache: SigningIdentity?
    var ledgerKeyIsOthers = false
    var checkpointProblem: String?
    /// Syslog lines for entries written in the open transaction, sent once it commits.
    var pendingSyslog: [(severity: Int, text: String)] = []
    // The head file (LedgerHead.swift): checked by this process's first append, moved after a
    // commit that signed a checkpoint.
    var headChecked = false
    var headProblemReported = false
    var signedInTransaction: SignedCheckpoint?
    var foldAfterCommit = false

    /// A connection a gate daemon's prepared worker opened before its request arrived, and the
    /// file it opened (device, inode): `open` takes it once, and only while the path still
    /// names that file (a state database moved aside and made anew since is opened afresh).
    nonisolated(unsafe) private static var prepared: (store: Store, device: UInt64, inode: UInt64)?

    /// Opens the state database ahead of a request (DaemonWorker.waitForRequest). A failure is
    /// left for the request's own open to meet and report.
    public static func prepare(_ env: GateEnvironment) {
        // The file is named before it is opened: replaced in between, the two differ and the
        // connection is not used.
        var st = stat()
        guard stat(env.databasePath, &st) == 0, let store = try? open(env) else { return }
        prepared = (store, UInt64(st.st_dev), UInt64(st.st_ino))
    }

    public static func open(_ env: GateEnvironment) throws -> Store {
        if let p = prepared {
            prepared = nil
            var st = stat()
            if TextSearch.sameBytes(p.store.path, env.databasePath), stat(env.databasePath, &st) == 0,
               UInt64(st.st_dev) == p.device, UInt64(st.st_ino) == p.inode {
                return p.store
            }
        }
        do {
            try Files.makeDirectories(env.home, mode: 0o700)
        } catch let e as FileError {
            throw GateFailure.config("cannot create state directory \(env.home): \(e.message)", hint: "set GATE_HOME to a writable directory")
        }
        return try Store(path: env.databasePath)
    }

    init(path: String) throws {
        self.path = path
        self.home = Paths.parent(of: path)
        do {
            db = try Database(path: path)
            db.setBusyTimeout(milliseconds: 10_000)
            // About walPages pages of history live only in state.db-wal: a commit that passes
            // the bound folds them into state.db.
            db.keepWriteAheadLogOpen(foldAt: Int32(Self.walPages))
            try db.execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF")
            let version = try db.scalarInt("PRAGMA user_version") ?? 0
            if version > Self.schemaVersion || version < 0 {
                throw GateFailure(.config, "state database \(path) has schema version \(version); this gate understands \(Self.schemaVersion)",
                                  hint: "use the gate release that created it")
            }
            if version < Self.schemaVersion { try migrate() }
        } catch let e as SQLiteError {
            throw Self.describe(e, path: path)
        }
    }

    static func describe(_ e: SQLiteError, path: String) -> GateFailure {
        switch e.kind {
        case .notADatabase, .corrupt:
            return GateFailure(.dataError, "state database \(path) is damaged or not a gate database (\(e.message))",
                               hint: "keep the file for investigation; point GATE_HOME elsewhere to start afresh")
        case .readOnly, .cantOpen:
            // SQLite names the database whichever of its files it could not open: name the odd one.
            for suffix in ["-wal", "-shm"] {
                var st = stat()
                guard lstat(path + suffix, &st) == 0, st.st_mode & S_IFMT != S_IFREG else { continue }
                let kind = switch st.st_mode & S_IFMT {
                case S_IFLNK: "a symbolic link"
                case S_IFDIR: "a directory"
                case S_IFIFO: "a FIFO"
                default: "not a regular file"
                }
                return GateFailure.config("state database \(path): \(path + suffix) is \(kind); gate opens only a regular file there, never through a link",
                                          hint: "move it aside and keep it for investigation: the newest ledger entries live in a WAL gate wrote itself")
            }
            return GateFailure.config("cannot write state database \(path) (\(e.message))", hint: "check the permissions of GATE_HOME")
        case .busy:
            return GateFailure(.tempFail, "state database \(path) is locked by another process (\(e.message))")
        case .full:
            return fullDisk(path, e.message)
        case .ioError:
            return GateFailure(.ioError, "state database \(path): input/output error (\(e.message))",
                               hint: "check the disk holding GATE_HOME; nothing was recorded, and what is on record is kept")
        default:
            return GateFailure(.software, "state database \(path): \(e.message)")
        }
    }

    static func fullDisk(_ path: String, _ detail: String) -> GateFailure {
        GateFailure(.ioError, "state database \(path): the disk is full (\(detail))",
                    hint: "free space on the file system holding GATE_HOME; nothing was recorded, and what is on record is kept")
    }

    /// A file system with no free block refuses every write, whether or not SQLite would find
    /// room in blocks the WAL already holds (a fold keeps them: Database.keepWriteAheadLogOpen):
    /// "a full disk: nothing runs" does not depend on where the last fold left the log.
    /// (A file system that counts no blocks at all, such as a tmpfs without a size limit, says
    /// nothing about its room and is left to fail on its own.)
    func requireFreeSpace() throws {
        var fs = statvfs()
        guard statvfs(home, &fs) == 0, fs.f_blocks > 0 else { return }
        if (geteuid() == 0 ? fs.f_bfree : fs.f_bavail) == 0 { throw Self.fullDisk(path, "no free block on its file system") }
    }

    /// Brings the schema to this gate's version (Migrations), however many gate processes start
    /// at the same moment on a new state directory: the write lock (BEGIN IMMEDIATE, with the
    /// busy timeout) serialises them and the later ones find the work done. A new database then
    /// switches to WAL, which needs a moment with no other connection reading; the busy handler
    /// does not wait for that, so that step is retried.
    private func migrate() throws {
        // A process that found an older version also makes sure of WAL, even when another one
        // made the schema while it waited (that one may have died before its switch).
        try Migrations.apply(db)
        var attempt = 0
        while true {
            do {
                try db.execute("PRAGMA journal_mode=WAL")
                return
            } catch let e as SQLiteError where e.kind == .busy && attempt < 250 {
                attempt += 1
                usleep(20_000)
            }
        }
    }

    /// Runs `body` as one write transaction (the write lock is taken first).
    public func write<T>(_ body: () throws -> T) throws -> T {
        try requireFreeSpace()
        pendingSyslog.removeAll()
        signedInTransaction = nil
        defer { pendingSyslog.removeAll(); signedInTransaction = nil }
        let result: T
        do { result = try db.immediateTransaction(body) } catch let e as SQLiteError { throw Self.describe(e, path: path) }
        // Only what is on record is announced, or remembered as the head.
        for line in pendingSyslog { Syslog.send(severity: line.severity, line.text) }
        if let signed = signedInTransaction { advanceHead(to: signed) }
        if foldAfterCommit {
            foldAfterCommit = false
            db.foldWriteAheadLog()
        }
        return result
    }

    func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as SQLiteError { throw Self.describe(e, path: path) }
    }
}
