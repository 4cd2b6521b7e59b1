import GateCore
import GateWire
import GateSystem
import GateStore

/// Off-host copies of hosts' checkpoints (issue 6): the copy a local user cannot rewrite. Each is
/// kept as an entry in the server's own chained ledger. The first ledger key the server sees for
/// a ledger id is the one it holds that ledger to, and a checkpoint smaller than one already
/// held is refused: that host's ledger lost entries.
extension Broker {
    /// POST /v1/checkpoints: `{"statement": …(checkpoint, request id = ledger id), "body":
    /// base64url({"checkpoint": six-line text, "ledger_key": "gatepk1:…"})}`.
    public func receiveCheckpoint(_ raw: [UInt8]) throws -> JSON {
        let j = try Self.object(raw)
        let statement = try Self.statement(j)
        guard let bodyText = j["body"]?.stringValue, let body = try? Base64URL.decode(bodyText) else {
            throw Refusal(400, .badBody, "the body has no base64url 'body'")
        }
        let requester: Policy.Requester
        let policy = try policy()
        do { requester = try StatementSigning.check(statement, policy: policy, action: .checkpoint, body: body, now: System.nowSeconds()) } catch {
            throw refuse(403, .badStatement, "checkpoint refused: \(error)", actor: Self.signer(error, statement, policy))
        }
        let b = try Self.object(body)
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
        _ = try store.write {
            try store.appendLedger(.checkpointCopy, request: ledger, actor: requester.name, payload: .object([
                ("ledger", .string(ledger)), ("size", .int(checkpoint.body.size)), ("head", .string(Hex.encode(checkpoint.body.head))),
                ("ledger_key", .string(heldKey.text)), ("checkpoint", .string(checkpoint.text)),
                // The statement, its key and its body (a few hundred bytes), so its body digest
                // and signature can be re-checked from this entry alone.
                ("requester_key", .string(Self.keyText(requester, statement))), ("statement", .string(statement.text)),
                ("body", .string(bodyText)),
            ]))
        }
        return .object([("ledger", .string(ledger)), ("size", .int(checkpoint.body.size)), ("stored", .bool(true))])
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
        guard let e = try store.newestLedgerEntry(kind: LedgerKind.checkpointCopy.rawValue, request: ledger),
              case .object(let fields)? = try? JSON.parse(e.payload) else { return nil }
        return .object(fields + [("received_us", .int(e.timeMicros)), ("from", .string(e.actor)), ("server_seq", .int(e.seq))])
    }
}
