import GateCore
internal import GateSQLite
import GateWire
import GateSystem
import Glibc

/// `$GATE_HOME/ledger.head`: a copy of the newest signed checkpoint, kept outside SQLite (SPEC.md
/// §6.2). The newest entries of a WAL database live only in `state.db-wal` until SQLite folds them
/// back; a deleted WAL, a `state.db` copied or restored alone, or a database recreated under the
/// same key would otherwise leave a shorter (or new) chain that verifies, its numbering restarted.
/// The head file remembers how far the ledger had got, so that:
/// - the first append of each process checks that the chain still reaches the head (same ledger
///   id, the same hash at the head's size) and refuses to write on a chain that lost entries
///   (one indexed read, no cryptography: the database holds the same hash or it does not);
/// - `gate audit verify` checks the head like any checkpoint, its signature included.
/// It is written after the transaction that signed the checkpoint commits (never ahead of what
/// is durable), under an flock so that two processes never move it backwards, without fsync:
/// it detects lost history, it is not the history. A torn or missing head detects nothing and
/// is replaced by the next checkpoint.
extension Store {
    public static func headPath(home: String) -> String { Paths.join(home, "ledger.head") }

    public enum Head {
        case absent
        case unusable(String)
        case checkpoint(SignedCheckpoint)
    }

    /// The head file's bytes, read without following a link or blocking (a FIFO put in its place
    /// must hang neither a run nor verify); the errno when it cannot be opened.
    func headBytes() -> Result<[UInt8], Errno> {
        let fd = Glibc.open(Self.headPath(home: home), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return .failure(Errno(errno)) }
        defer { close(fd) }
        return .success(Self.readHead(fd))
    }

    struct Errno: Error { let code: Int32; init(_ code: Int32) { self.code = code } }

    /// The head file as it is now.
    public func head() -> Head {
        let path = Self.headPath(home: home)
        switch headBytes() {
        case .failure(let e):
            return e.code == ENOENT ? .absent : .unusable("cannot read \(path): \(String(cString: strerror(e.code)))")
        case .success(let bytes):
            guard let text = String(validating: bytes, as: UTF8.self), let cp = try? SignedCheckpoint(parsing: text) else {
                return .unusable("\(path) is not a signed checkpoint")
            }
            return .checkpoint(cp)
        }
    }

    /// Called by the first append of this process, inside its transaction, with the chain's last
    /// entry: a chain that no longer reaches the head lost entries, and nothing is appended to it.
    func checkReachesHead(last: (seq: Int64, hash: [UInt8])?) throws {
        let file = Self.headPath(home: home)
        guard case .success(let bytes) = headBytes(), let head = Self.headFields(bytes) else { return }
        let size = head.size, count = last?.seq ?? 0
        // The usual case, decided from memory: the head is the entry before this one. Entries
        // hash their time and place in the chain, so another chain (a recreated database) does
        // not hold the same hash at the same size; the ledger id is read only to say which.
        var hash: [UInt8]?
        if size > 0, size <= count {
            if size == count, let last { hash = last.hash } else {
                let s = try db.prepare("SELECT hash FROM ledger WHERE seq = ?").bind([.int(size)])
                hash = try s.step() ? s.blob(0) : nil
            }
            if hash == head.head { return }
        }
        // Before refusing anything on its word: is it a checkpoint this ledger's key signed? A
        // file anyone with write access made up (size 2^63, say) must not stop all recording.
        guard try isGenuineHead(bytes) else {
            return reportHeadProblem("\(file) is not a checkpoint signed by this ledger's key; it is ignored and replaced by the next checkpoint")
        }
        let ledgerID = try ledgerID()
        guard head.ledgerID == ledgerID else {
            throw GateFailure(.dataError, "state database \(path) holds ledger \(ledgerID), but \(file) is the head of ledger \(head.ledgerID): the database was replaced or recreated, and nothing is recorded on it",
                              hint: "restore the database (gate audit backup makes copies), or, to start a new ledger on purpose, move \(file) aside")
        }
        guard size <= count else {
            throw GateFailure(.dataError, "the ledger ends at entry \(count), but \(file) holds the checkpoint of entry \(size): \(size == count + 1 ? "entry \(size) was" : "entries \(count + 1)–\(size) were") lost (state.db-wal deleted, or state.db copied or restored alone), and nothing is recorded on it",
                              hint: "restore the newest backup (gate audit backup), or keep the directory for investigation and point GATE_HOME elsewhere; gate audit verify says the same")
        }
        guard size == 0 else {
            throw GateFailure(.dataError, "entries 1–\(size) of the ledger do not hash to the head in \(file): history was rewritten or replaced, and nothing is recorded on it",
                              hint: "keep the directory for investigation; gate audit verify names the damage")
        }
    }

    /// After the commit that signed `checkpoint`: the head moves forward, never back.
    func advanceHead(to checkpoint: SignedCheckpoint) {
        let file = Self.headPath(home: home)
        let fd = Glibc.open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard fd >= 0 else { return reportHeadProblem("cannot write \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { return }
        let heldBytes = Self.readHead(fd)
        // Kept only if it is further on and genuine (the signature is checked only then).
        if let held = Self.headFields(heldBytes), held.ledgerID == checkpoint.body.ledgerID, held.size >= checkpoint.body.size,
           (try? isGenuineHead(heldBytes)) == true {
            return
        }
        let bytes = Array(checkpoint.text.utf8)
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        guard written == bytes.count, ftruncate(fd, off_t(bytes.count)) == 0 else {
            return reportHeadProblem("cannot write \(file): \(String(cString: strerror(errno)))")
        }
    }

    /// The head file's first KiB (a checkpoint's text is about 250 bytes), read without blocking.
    static func readHead(_ fd: Int32) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        return n > 0 ? Array(buffer[..<n]) : []
    }

    /// Whether `bytes` are a checkpoint signed by this ledger's key (the recorded one, or the key
    /// file's public half before one is recorded: a recreated database keeps the key file), for
    /// its own ledger id, which may be another database's.
    func isGenuineHead(_ bytes: [UInt8]) throws -> Bool {
        guard let text = String(validating: bytes, as: UTF8.self), let cp = try? SignedCheckpoint(parsing: text) else { return false }
        var keys: [PublicKey] = []
        if let recorded = try recordedLedgerKey() { keys.append(recorded) }
        if let file = try? KeyFiles.readSecretKeyFile(LedgerKey.path(home: home)),
           let key = try? PublicKey(text: file.publicKey.text), !keys.contains(key) { keys.append(key) }
        return keys.contains { (try? CheckpointSigning.check(cp, ledgerID: cp.body.ledgerID, key: $0)) != nil }
    }

    /// The three lines the hot path needs (`ledger`, `size`, `head`, SPEC.md §6.2), without
    /// parsing the signature: the check compares the hash with the database's, which needs no
    /// key (a mismatch is then checked in full). nil for anything that is not a checkpoint's text.
    static func headFields(_ bytes: [UInt8]) -> (ledgerID: String, size: Int64, head: [UInt8])? {
        // Lines found by hand: `split` here instantiated Array<Slice<…>> at run time (~0.1 M
        // instructions a run, callgrind, issue 17) for four short lines.
        var ledgerID: String?, size: Int64?, head: [UInt8]?
        var start = 0, lines = 0
        while start < bytes.count && lines < 4 {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end > start {
                lines += 1
                var space = start
                while space < end && bytes[space] != UInt8(ascii: " ") { space += 1 }
                if space < end {
                    let value = String(decoding: bytes[(space + 1)..<end], as: UTF8.self)
                    switch String(decoding: bytes[start..<space], as: UTF8.self) {
                    case "ledger": ledgerID = value
                    case "size": size = Int64(value)
                    case "head": head = value.utf8.count == 64 ? try? Hex.decode(value) : nil
                    default: break
                    }
                }
            }
            start = end + 1
        }
        guard let ledgerID, let size, size >= 0, let head else { return nil }
        return (ledgerID, size, head)
    }

    private func reportHeadProblem(_ message: String) {
        guard !headProblemReported else { return }
        headProblemReported = true
        System.write(2, "gate: warning: \(message); a lost state.db-wal would go unnoticed until it is written again\n")
    }
}
