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
    /// 1: requests, tokens, used tokens, ledger. 2: adds `meta` (ledger id, ledger key) and
    /// `checkpoints`; a version-1 database is upgraded in place.
    /// 3: adds the request's ticket and context, and `context_blobs` (provider outputs by digest).
    public static let schemaVersion: Int64 = 3
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

    public static func open(_ env: GateEnvironment) throws -> Store {
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
            db.keepWriteAheadLogOpen()
            try db.execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF")
            let version = try db.scalarInt("PRAGMA user_version") ?? 0
            if version == 0 {
                try createSchema()
            } else if version == 1 || version == 2 {
                try upgrade()
            } else if version != Self.schemaVersion {
                throw GateFailure(.config, "state database \(path) has schema version \(version); this gate understands \(Self.schemaVersion)",
                                  hint: "use the gate release that created it")
            }
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
            return GateFailure.config("cannot write state database \(path) (\(e.message))", hint: "check the permissions of GATE_HOME")
        case .busy:
            return GateFailure(.tempFail, "state database \(path) is locked by another process (\(e.message))")
        default:
            return GateFailure(.software, "state database \(path): \(e.message)")
        }
    }

    /// Creates the schema once, however many gate processes start at the same moment on a new
    /// state directory: the write lock (BEGIN IMMEDIATE, with the busy timeout) serialises them and
    /// the loser finds the schema made. Switching to WAL needs a moment with no other connection
    /// reading, which the busy handler does not wait for, so that step is retried.
    private func createSchema() throws {
        try db.immediateTransaction {
            // Another process may have created it while we waited for the lock.
            guard (try db.scalarInt("PRAGMA user_version") ?? 0) == 0 else { return }
            try db.execute("""
                CREATE TABLE requests(
                  id TEXT PRIMARY KEY,
                  created_us INTEGER NOT NULL,
                  intent BLOB NOT NULL,
                  reason TEXT NOT NULL,
                  rule TEXT NOT NULL,
                  requirements TEXT NOT NULL,
                  policy_digest BLOB NOT NULL,
                  status TEXT NOT NULL,
                  requester_pid INTEGER NOT NULL,
                  updated_us INTEGER NOT NULL,
                  expires_us INTEGER,
                  approval_ttl INTEGER
                );
                CREATE INDEX requests_status ON requests(status, created_us);
                CREATE TABLE tokens(
                  id INTEGER PRIMARY KEY,
                  request_id TEXT NOT NULL,
                  token TEXT NOT NULL UNIQUE,
                  received_us INTEGER NOT NULL
                );
                CREATE INDEX tokens_request ON tokens(request_id);
                -- Single use: a token's use id is inserted in the same transaction that records
                -- the start of the run; a second use violates the primary key and rolls back.
                CREATE TABLE used_tokens(
                  use_id BLOB PRIMARY KEY,
                  request_id TEXT NOT NULL,
                  used_us INTEGER NOT NULL
                );
                CREATE TABLE ledger(
                  seq INTEGER PRIMARY KEY,
                  time_us INTEGER NOT NULL,
                  kind TEXT NOT NULL,
                  request_id TEXT NOT NULL,
                  actor TEXT NOT NULL,
                  payload TEXT NOT NULL,
                  prev_hash BLOB NOT NULL,
                  hash BLOB NOT NULL
                );
                CREATE INDEX ledger_request ON ledger(request_id);
                CREATE INDEX ledger_time ON ledger(time_us);
                CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
                  BEGIN SELECT RAISE(ABORT, 'the gate ledger is append-only'); END;
                CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
                  BEGIN SELECT RAISE(ABORT, 'the gate ledger is append-only'); END;
                CREATE TRIGGER used_tokens_no_delete BEFORE DELETE ON used_tokens
                  BEGIN SELECT RAISE(ABORT, 'used tokens are never forgotten'); END;
                """)
            try createVersion2Tables()
            try createVersion3Tables()
        }
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

    private func upgrade() throws {
        try db.immediateTransaction {
            let version = try db.scalarInt("PRAGMA user_version") ?? 0
            if version == 1 { try createVersion2Tables() }
            if version <= 2 { try createVersion3Tables() }
        }
    }

    /// Context an approver sees (issue 4): outputs stored once, by digest; the request row keeps
    /// its ticket and the context document that references them.
    private func createVersion3Tables() throws {
        try db.execute("""
            ALTER TABLE requests ADD COLUMN ticket TEXT NOT NULL DEFAULT '';
            ALTER TABLE requests ADD COLUMN context TEXT NOT NULL DEFAULT '{}';
            -- encoding: 'raw', or 'zlib' (RFC 1950) for outputs over 64 KiB; size: the original length.
            CREATE TABLE context_blobs(
              digest BLOB PRIMARY KEY,
              encoding TEXT NOT NULL,
              size INTEGER NOT NULL,
              data BLOB NOT NULL
            );
            PRAGMA user_version = 3;
            """)
    }

    /// The ledger's identity and its signed checkpoints (SPEC.md §6.2). Both are append-only.
    private func createVersion2Tables() throws {
        try db.execute("""
            CREATE TABLE meta(
              name TEXT PRIMARY KEY,
              value TEXT NOT NULL
            );
            CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta
              BEGIN SELECT RAISE(ABORT, 'the ledger identity never changes'); END;
            CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
              BEGIN SELECT RAISE(ABORT, 'the ledger identity never changes'); END;
            CREATE TABLE checkpoints(
              size INTEGER PRIMARY KEY,
              time_us INTEGER NOT NULL,
              key_id TEXT NOT NULL,
              text TEXT NOT NULL
            );
            CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
              BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
            CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
              BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
            """)
        let ledgerID = Hex.encode(SecureRandom.bytes(CheckpointBody.ledgerIDLength), uppercase: true)
        try db.prepare("INSERT INTO meta(name, value) VALUES ('ledger_id', ?)").run([.text(ledgerID)])
        try db.execute("PRAGMA user_version = 2")
    }

    /// Runs `body` as one write transaction (the write lock is taken first).
    public func write<T>(_ body: () throws -> T) throws -> T {
        pendingSyslog.removeAll()
        defer { pendingSyslog.removeAll() }
        let result: T
        do { result = try db.immediateTransaction(body) } catch let e as SQLiteError { throw Self.describe(e, path: path) }
        // Only what is on record is announced.
        for line in pendingSyslog { Syslog.send(severity: line.severity, line.text) }
        return result
    }

    func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as SQLiteError { throw Self.describe(e, path: path) }
    }
}
