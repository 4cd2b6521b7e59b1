import GateCore
import GateWire
import GateSystem
import GateStore

/// Off-host copies of hosts' checkpoints (issue 6): the copy a local user cannot rewrite. Each is
/// kept as an entry in the server's own chained ledger. The first ledger key the server sees for
/// a ledger id is the one it holds that ledger to, and a checkpoint smaller than one already
/// held is refused: that host's ledger lost entries.
extension Broker {
    static let maxEntriesPerCopy = 1_000

    /// What a requester's stored copies hold: the ledger ids and the bytes of their entries. Read
    /// from the ledger once (one scan), then kept up to date in memory.
    func copyUsage(requester name: String) throws -> CopyUsage {
        if let known = copyUsageByRequester[name] { return known }
        var usage = CopyUsage()
        try store.forEachLedgerEntry(kind: LedgerKind.checkpointCopy.rawValue, actor: name) { usage.add($0); return true }
        copyUsageByRequester[name] = usage
        return usage
    }

    /// A copy as the API shows it: its entry's payload without the body that carried it (with its
    /// entries it can be megabytes) or the statement (a stranger could replay it), and who sent it when.
    static func copyJSON(_ e: LedgerEntry) -> JSON? {
        guard case .object(let fields)? = try? JSON.parse(e.payload) else { return nil }
        return .object(fields.filter { $0.0 != "body" && $0.0 != "statement" }
                       + [("received_us", .int(e.timeMicros)), ("from", .string(e.actor)), ("server_seq", .int(e.seq))])
    }

    /// POST /v1/checkpoints: `{"statement": …(checkpoint, request id = ledger id), "body":
    /// base64url({"checkpoint": six-line text, "ledger_key": "gatepk1:…"})}`.
    public func receiveCheckpoint(_ raw: [UInt8], announced: SignedStatement? = nil) throws -> JSON {
        let j = try Self.object(raw)
        let statement = try Self.statement(j)
        if let announced, announced != statement {
            throw Refusal(400, .badStatement, "the Gate-Statement header and the body's statement differ")
        }
        guard let bodyText = j["body"]?.stringValue, let body = try? Base64URL.decode(bodyText) else {
            throw Refusal(400, .badBody, "the body has no base64url 'body'")
        }
        let requester: Policy.Requester
        let policy = try policy()
        do { requester = try StatementSigning.check(statement, policy: policy, action: .checkpoint, body: body, now: System.nowSeconds()) } catch {
            throw refuse(403, .badStatement, "checkpoint refused: \(error)", actor: nil)
        }
        if announced == nil { try useOnce(statement) }
        let b = try Self.object(body)
        // Only what a copy is made of: everything in the body is kept in the chained ledger.
        guard case .object(let fields) = b, fields.allSatisfy({ ["checkpoint", "ledger_key", "entries"].contains($0.0) }) else {
            throw refuse(400, .badBody, "a checkpoint copy holds only 'checkpoint', 'ledger_key' and 'entries'", actor: requester.name)
        }
        let sentEntries = b["entries"]?.arrayValue ?? []
        guard sentEntries.count <= Self.maxEntriesPerCopy else {
            throw refuse(413, .tooLarge, "a checkpoint copy carries at most \(Self.maxEntriesPerCopy) entries; send the checkpoints between first", actor: requester.name)
        }
        let checkpoint: SignedCheckpoint
        let key: PublicKey
        do {
            checkpoint = try SignedCheckpoint(parsing: b["checkpoint"]?.stringValue ?? "")
            key = try PublicKey(text: b["ledger_key"]?.stringValue ?? "")
        } catch {
            throw refuse(400, .badCheckpoint, "malformed checkpoint or ledger key: \(error)", actor: requester.name)
        }
        let ledger = checkpoint.body.ledgerID
        guard statement.payload.requestID == ledger else { throw refuse(400, .badCheckpoint, "the statement names another ledger", actor: requester.name) }
        let newest = try newestCopy(ledger: ledger)
        // A ledger id is held for the requester whose copy came first (finding 2: another
        // requester's made-up first copy must not make the owner look re-keyed).
        if let holder = newest?["from"]?.stringValue, holder != requester.name {
            throw refuse(409, .ledgerClaimed, "ledger \(ledger) is held on this server for requester \(holder) (its copies came first); this copy is from \(requester.name): one of them does not keep that ledger",
                         request: ledger, actor: requester.name)
        }
        if newest == nil {
            // A first copy extends nothing, so it carries nothing; and one requester holds a
            // bounded number of ledgers (its hosts), not one per made-up id.
            guard sentEntries.isEmpty else {
                throw refuse(400, .badCheckpoint, "the first copy of ledger \(ledger) carries no entries (there is no copy to extend)", request: ledger, actor: requester.name)
            }
            let held = try copyUsage(requester: requester.name).ledgers.count
            guard held < copyLimits.ledgersPerRequester else {
                throw refuse(429, .overQuota, "\(requester.name) already has copies of \(held) ledgers on this server, the most it allows (--max-ledgers)", request: ledger, actor: requester.name)
            }
        }
        // What the entry will hold: the body as base64url, the checkpoint, the statement, the key.
        let projected = Int64(body.count) * 4 / 3 + 1_024
        guard try copyUsage(requester: requester.name).bytes + projected <= copyLimits.quotaBytes else {
            throw refuse(413, .overQuota, "\(requester.name)'s checkpoint copies would pass their quota of \(copyLimits.quotaBytes >> 20) MiB on this server (--copy-quota)", request: ledger, actor: requester.name)
        }
        let heldKey = newest?["ledger_key"]?.stringValue.flatMap { try? PublicKey(text: $0) } ?? key
        do { try CheckpointSigning.check(checkpoint, ledgerID: ledger, key: heldKey) } catch {
            throw refuse(409, .badCheckpoint, "checkpoint for ledger \(ledger) refused: \(error)", request: ledger, actor: requester.name)
        }
        if let held = newest?["size"]?.intValue, held > checkpoint.body.size {
            // Signed before the copy held (its time is in what the ledger key signed): an older
            // copy that arrived late, as concurrent runs on one host send them. Not a shrink,
            // and nothing to store. A smaller checkpoint signed later is one.
            let heldTime = (newest?["checkpoint"]?.stringValue).flatMap { try? SignedCheckpoint(parsing: $0) }?.body.timeMicros
            if let heldTime, checkpoint.body.timeMicros < heldTime {
                return .object([("ledger", .string(ledger)), ("size", .int(held)), ("stored", .bool(false)), ("stale", .bool(true))])
            }
            throw refuse(409, .ledgerShrank, "ledger \(ledger) checkpoint covers \(checkpoint.body.size) entries, but this server holds one covering \(held): entries were removed from that ledger",
                         request: ledger, actor: requester.name)
        }
        if let held = newest?["size"]?.intValue, held == checkpoint.body.size {
            guard newest?["head"]?.stringValue == Hex.encode(checkpoint.body.head) else {
                throw refuse(409, .ledgerRewritten, "ledger \(ledger) checkpoint at \(held) entries has another head than the one this server holds: that history was rewritten",
                             request: ledger, actor: requester.name)
            }
            return .object([("ledger", .string(ledger)), ("size", .int(held)), ("stored", .bool(false))])
        }
        // A larger copy must prove it extends the one held: the entries since, chained from
        // the held head to this checkpoint's (finding 1: a rewritten, re-signed ledger was
        // accepted because only size and key were compared).
        if let held = newest?["size"]?.intValue, let heldHead = newest?["head"]?.stringValue.flatMap({ try? Hex.decode($0) }) {
            let entries = (b["entries"]?.arrayValue ?? []).map(LedgerTransfer.decode)
            guard !entries.contains(where: { $0 == nil }) else {
                throw refuse(400, .badCheckpoint, "checkpoint for ledger \(ledger): an entry is malformed", request: ledger, actor: requester.name)
            }
            if let problem = CheckpointExtension.problem(heldSize: held, heldHead: heldHead, entries: entries.compactMap { $0 },
                                                         size: checkpoint.body.size, head: checkpoint.body.head) {
                throw refuse(409, .ledgerRewritten, "ledger \(ledger) checkpoint at \(checkpoint.body.size) does not extend the copy this server holds at \(held): \(problem)",
                             request: ledger, actor: requester.name)
            }
        }
        let stored = try store.write {
            try store.appendLedger(.checkpointCopy, request: ledger, actor: requester.name, payload: .object([
                ("ledger", .string(ledger)), ("size", .int(checkpoint.body.size)), ("head", .string(Hex.encode(checkpoint.body.head))),
                ("ledger_key", .string(heldKey.text)), ("checkpoint", .string(checkpoint.text)),
                // The statement, its key and its body (a few hundred bytes), so its body digest
                // and signature can be re-checked from this entry alone.
                ("requester_key", .string(Self.keyText(requester, statement))), ("statement", .string(statement.text)),
                ("body", .string(bodyText)),
            ]))
        }
        copyUsageByRequester[requester.name]?.add(stored)
        return .object([("ledger", .string(ledger)), ("size", .int(checkpoint.body.size)), ("stored", .bool(true))])
    }

    /// GET /v1/checkpoints/LEDGER?all=1: every copy held, oldest first (without the bodies
    /// that carried them), for `gate audit verify --from-server` to check the ledger against.
    public func allCopies(ledger: String) throws -> JSON {
        guard CheckpointBody.isLedgerID(ledger) else { throw Refusal(400, .badID, "'\(ledger.prefix(40))' is not a ledger id") }
        var copies: [JSON] = []
        try store.forEachLedgerEntry(request: ledger) { e in
            if e.kind == LedgerKind.checkpointCopy.rawValue, let copy = Self.copyJSON(e) { copies.append(copy) }
            return true
        }
        guard !copies.isEmpty else { throw Refusal(404, .unknownLedger, "this server holds no checkpoint for ledger \(ledger)") }
        return .object([("copies", .array(copies))])
    }

    /// GET /v1/checkpoints/LEDGER: the newest copy held, with who sent it and when.
    public func checkpoints(ledger: String) throws -> JSON {
        guard CheckpointBody.isLedgerID(ledger) else { throw Refusal(400, .badID, "'\(ledger.prefix(40))' is not a ledger id") }
        guard let newest = try newestCopy(ledger: ledger) else {
            throw Refusal(404, .unknownLedger, "this server holds no checkpoint for ledger \(ledger)")
        }
        return newest
    }

    func newestCopy(ledger: String) throws -> JSON? {
        guard let e = try store.newestLedgerEntry(kind: LedgerKind.checkpointCopy.rawValue, request: ledger) else { return nil }
        return Self.copyJSON(e)
    }
}
