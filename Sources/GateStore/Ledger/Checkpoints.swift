import GateCore
import GateCrypto
internal import GateSQLite
import GateWire
import GateSystem

/// Signed checkpoints of the ledger (SPEC.md §6.2): one in the same transaction as every outcome
/// (a run finished, a refusal, a denial, a cancellation, a review), and one at least every
/// `checkpointInterval` entries. A checkpoint that cannot be signed (no usable ledger key) never
/// blocks the entry it would have covered; it is reported once per process, and `gate audit
/// verify` counts the entries no checkpoint covers.
extension Store {
    public static let checkpointInterval: Int64 = 100
    /// An array, not a Set: the first use of hashing cost every run ~0.2 M instructions
    /// (callgrind), for a look-up among eight values.
    static let sealingKinds: [LedgerKind] = [.requested, .approved, .finished, .refused, .cancelled, .denied, .reviewed, .checkpointCopy]

    public func ledgerID() throws -> String {
        guard let id = try meta("ledger_id") else { throw GateFailure(.dataError, "state database \(path) has no ledger id") }
        return id
    }

    /// The ledger's public key as recorded in the database when the key was made.
    public func recordedLedgerKey() throws -> PublicKey? {
        guard let text = try meta("ledger_key") else { return nil }
        do { return try PublicKey(text: text) } catch {
            throw GateFailure(.dataError, "state database \(path) records a damaged ledger key")
        }
    }

    func meta(_ name: String) throws -> String? {
        try wrap {
            let s = try db.prepare("SELECT value FROM meta WHERE name = ?").bind([.text(name)])
            return try s.step() ? s.text(0) : nil
        }
    }

    /// Called by `appendLedger`, inside its transaction.
    func checkpointIfDue(after entry: LedgerEntry, kind: LedgerKind) throws {
        let covered = try db.scalarInt("SELECT coalesce(max(size), 0) FROM checkpoints") ?? 0
        guard Self.sealingKinds.contains(kind) || entry.seq - covered >= Self.checkpointInterval else { return }
        _ = try signCheckpoint(size: entry.seq, head: entry.hash)
    }

    /// Signs a checkpoint of the ledger as it is now (`gate audit checkpoint`). Returns the newest
    /// checkpoint if it already covers every entry.
    public func checkpointNow() throws -> SignedCheckpoint {
        try write {
            let head = try db.prepare("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
            let (size, hash) = try head.step() ? (head.int(0), head.blob(1)) : (0, LedgerEntry.genesisHash)
            if let newest = try newestCheckpoint(), newest.body.size == size { return newest }
            if let signed = try signCheckpoint(size: size, head: hash) { return signed }
            throw GateFailure.config(checkpointProblem ?? "no ledger key to sign with",
                                     hint: "the ledger key belongs to the user who made \(LedgerKey.path(home: home))")
        }
    }

    public func newestCheckpoint() throws -> SignedCheckpoint? {
        try wrap {
            let s = try db.prepare("SELECT text FROM checkpoints ORDER BY size DESC LIMIT 1")
            return try s.step() ? try? SignedCheckpoint(parsing: s.text(0)) : nil
        }
    }

    /// Signs and stores a checkpoint, or returns nil (and says why once) when there is no usable key.
    private func signCheckpoint(size: Int64, head: [UInt8]) throws -> SignedCheckpoint? {
        guard let key = try usableLedgerKey() else { return nil }
        let body = CheckpointBody(ledgerID: try ledgerID(), size: size, head: head, timeMicros: System.nowMicros())
        let signed: SignedCheckpoint
        do { signed = try CheckpointSigning.sign(body, with: key) } catch {
            // The key was loaded without deriving its public half (LedgerKey.load forSigning):
            // a secret that is not the recorded key's is a damaged key, reported like any other
            // unusable one (the entry is recorded, unsealed); anything else is gate's fault.
            if Ed25519.SigningKey(seed: key.signingKey.seed)?.publicKey != key.signingKey.publicKey {
                ledgerKeyCache = nil
                reportCheckpointProblem("the ledger key \(LedgerKey.path(home: home)) is damaged: its secret is not the key its public line names; not signing checkpoints")
                return nil
            }
            throw GateFailure.internalError("a checkpoint did not verify under the ledger key after signing")
        }
        try db.prepare("INSERT OR IGNORE INTO checkpoints(size, time_us, key_id, text) VALUES (?,?,?,?)").run([
            .int(size), .int(body.timeMicros), .text(signed.keyID.description), .text(signed.text),
        ])
        if Syslog.facility != nil { pendingSyslog.append(Syslog.line(for: signed)) }
        signedInTransaction = signed
        return signed
    }

    /// The ledger key, made on first use and recorded in `meta`; nil when this process cannot sign.
    private func usableLedgerKey() throws -> SigningIdentity? {
        if let cached = ledgerKeyCache { return cached }
        if checkpointProblem != nil || ledgerKeyIsOthers { return nil }
        let recorded = try meta("ledger_key")
        // A key not yet recorded as the ledger's is checked whole first (its public half derived
        // from its secret): what is recorded here is what auditors pin.
        switch LedgerKey.load(home: home, mayCreate: recorded == nil, forSigning: recorded != nil) {
        case .key(let identity):
            if let recorded {
                guard recorded == identity.publicKey.text else {
                    reportCheckpointProblem("\(LedgerKey.path(home: home)) is not the key this ledger was sealed with (key \(identity.publicKey.id)); not signing checkpoints")
                    return nil
                }
            } else {
                try db.prepare("INSERT INTO meta(name, value) VALUES ('ledger_key', ?)").run([.text(identity.publicKey.text)])
                // The ledger's identity goes into state.db itself at once, not only the WAL.
                foldAfterCommit = true
            }
            ledgerKeyCache = identity
            return identity
        case .notOurs:
            ledgerKeyIsOthers = true
            return nil
        case .unusable(let why):
            reportCheckpointProblem(why)
            return nil
        }
    }

    /// Why this host's ledger key, present and its own, cannot sign, if it cannot (`gate audit
    /// verify` fails on it: a ledger whose key is damaged is never sealed again, silently).
    public func ledgerKeyProblem() throws -> String? {
        guard Files.info(LedgerKey.path(home: home)) != nil else { return nil }
        switch LedgerKey.load(home: home, mayCreate: false) {
        case .key(let identity):
            guard let recorded = try meta("ledger_key"), recorded != identity.publicKey.text else { return nil }
            return "\(LedgerKey.path(home: home)) is not the key this ledger was sealed with (key \(identity.publicKey.id))"
        case .notOurs: return nil
        case .unusable(let why): return why
        }
    }

    private func reportCheckpointProblem(_ why: String) {
        checkpointProblem = why
        System.write(2, ShellQuote.inert("gate: warning: no checkpoint signed: \(why)") + "\n")
    }
}
