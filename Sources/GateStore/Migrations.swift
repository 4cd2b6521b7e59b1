import GateCrypto
internal import GateSQLite
import GateWire

/// The schema as data: an ordered list of steps, each applied once. A database at version N
/// (`PRAGMA user_version`) gets every later step, in order, in one immediate transaction that
/// also sets the version, so a crash leaves it at N or at the newest, never between; a new
/// database is version 0 and gets them all, so it and an upgraded one have the same schema. A
/// released step is never edited: a change to the schema is a new step at the end.
struct Migration: Sendable {
    let version: Int64
    /// What the step adds, and why.
    let why: String
    let sql: String
    /// Rows the step's tables start with, where SQL alone cannot make them (a random id).
    var seed: (@Sendable (Database) throws -> Void)? = nil
}

enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, why: "requests, tokens, used tokens and the append-only ledger", sql: """
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
            """),
        Migration(version: 2, why: "the ledger's identity (meta) and its signed checkpoints (SPEC.md §6.2), both append-only", sql: """
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
            """, seed: { db in
            let ledgerID = Hex.encode(SecureRandom.bytes(CheckpointBody.ledgerIDLength), uppercase: true)
            try db.prepare("INSERT INTO meta(name, value) VALUES ('ledger_id', ?)").run([.text(ledgerID)])
        }),
        Migration(version: 3, why: "the request's ticket and context, and provider outputs stored once by digest (issue 4)", sql: """
            ALTER TABLE requests ADD COLUMN ticket TEXT NOT NULL DEFAULT '';
            ALTER TABLE requests ADD COLUMN context TEXT NOT NULL DEFAULT '{}';
            -- encoding: 'raw', or 'zlib' (RFC 1950) for outputs over 64 KiB; size: the original length.
            CREATE TABLE context_blobs(
              digest BLOB PRIMARY KEY,
              encoding TEXT NOT NULL,
              size INTEGER NOT NULL,
              data BLOB NOT NULL
            );
            """),
        Migration(version: 4, why: "the requester process's identity beside its pid (a pid is reused): a run whose gate died is shown as such", sql: """
            ALTER TABLE requests ADD COLUMN requester_start TEXT NOT NULL DEFAULT '';
            """),
        Migration(version: 5, why: "which policies the ledger has recorded (a `policy` entry each), so that approvals can be checked against the one in force (issue 12)", sql: """
            CREATE TABLE policies(
              digest BLOB PRIMARY KEY,
              seq INTEGER NOT NULL
            );
            CREATE TRIGGER policies_no_update BEFORE UPDATE ON policies
              BEGIN SELECT RAISE(ABORT, 'recorded policies are append-only'); END;
            CREATE TRIGGER policies_no_delete BEFORE DELETE ON policies
              BEGIN SELECT RAISE(ABORT, 'recorded policies are append-only'); END;
            """),
        Migration(version: 6, why: "the digests of root-owned interpreters by inode and change time, so that a run does not hash the dynamic loader every time (issue 17)", sql: """
            CREATE TABLE file_digests(
              dev INTEGER NOT NULL,
              ino INTEGER NOT NULL,
              size INTEGER NOT NULL,
              mtime_ns INTEGER NOT NULL,
              ctime_ns INTEGER NOT NULL,
              digest BLOB NOT NULL,
              PRIMARY KEY (dev, ino)
            ) WITHOUT ROWID;
            """),
    ]

    /// The version this gate writes.
    static var latest: Int64 { all.last?.version ?? 0 }

    /// Brings `db` from whatever version it is at to `target` (default: the newest). Another
    /// process may have done it while this one waited for the write lock: the version is read
    /// again inside the transaction. Returns the version found before.
    @discardableResult
    static func apply(_ db: Database, upTo target: Int64 = latest) throws -> Int64 {
        try db.immediateTransaction {
            let found = try db.scalarInt("PRAGMA user_version") ?? 0
            for step in all where step.version > found && step.version <= target {
                try db.execute(step.sql)
                try step.seed?(db)
                try db.execute("PRAGMA user_version = \(step.version)")
            }
            return found
        }
    }
}
