import GateCore
internal import GateSQLite
import GateSystem
import GateWire

/// How long a gate server keeps context outputs, and how much of them one requester may hold
/// (issue 18, finding 7: 8 requests of 13 MiB each were kept forever). An output is kept while a
/// request that shows it is pending, and for a while after its last such request was decided,
/// withdrawn or expired; then it goes (its digest stays in the ledger, and the requester's host
/// keeps its own copy). Outputs are stored once per digest, so a requester is charged for every
/// output its kept requests show.
extension Store {
    /// The digests (lowercase hex) shown by requests that keep their outputs: pending ones, and
    /// ones that ended at or after `since`.
    private static let keptDigests = """
        SELECT json_extract(p.value, '$.digest') FROM requests r, json_each(r.context, '$.providers') p
        WHERE r.status = 'pending' OR r.updated_us >= ?
        UNION SELECT json_extract(b.value, '$.digest') FROM requests r, json_each(r.context, '$.bound_contents') b
        WHERE r.status = 'pending' OR r.updated_us >= ?
        """

    /// Deletes the outputs no kept request shows; returns how many went.
    @discardableResult
    public func expireContext(endedBefore micros: Int64) throws -> Int64 {
        try write {
            try db.prepare("DELETE FROM context_blobs WHERE lower(hex(digest)) NOT IN (\(Self.keptDigests))").run([.int(micros), .int(micros)])
            return try db.scalarInt("SELECT changes()") ?? 0
        }
    }

    /// Bytes stored for the outputs the requester `name`'s requests show.
    public func contextBytes(requester name: String) throws -> Int64 {
        try wrap {
            let s = try db.prepare("""
                SELECT coalesce(sum(length(b.data)), 0) FROM context_blobs b WHERE lower(hex(b.digest)) IN (
                  SELECT json_extract(p.value, '$.digest') FROM requests r, json_each(r.context, '$.providers') p
                  WHERE json_extract(r.context, '$.requester.name') = ?
                  UNION SELECT json_extract(b.value, '$.digest') FROM requests r, json_each(r.context, '$.bound_contents') b
                  WHERE json_extract(r.context, '$.requester.name') = ?)
                """).bind([.text(name), .text(name)])
            return try s.step() ? s.int(0) : 0
        }
    }
}

extension Store {
    /// Whether a request as stored is the one its `requested` ledger entry recorded (the row is
    /// editable, the chained entry is not) and its context the one its intent binds: what `gate
    /// show` displays and `gate approve` signs must be what was filed. nil when it is.
    public func integrityProblem(_ r: RequestRecord) throws -> String? {
        let recorded: String? = try wrap { () -> String? in
            let s = try db.prepare("SELECT payload FROM ledger WHERE request_id = ? AND kind = 'requested' ORDER BY seq LIMIT 1").bind([.text(r.id.compact)])
            guard try s.step() else { return nil }
            return (try? JSON.parse(s.text(0)))?["intent_digest"]?.stringValue
        }
        if let recorded, recorded != r.digest.hex {
            return "request \(r.id) as stored (intent \(r.digest.short)…) is not the one its requested ledger entry recorded (\(recorded.prefix(12))…): the request was edited after it was filed"
        }
        if let why = ContextBinding.problem(intent: r.intent, context: r.context) { return "request \(r.id): \(why)" }
        // (A stored output is checked against its digest whenever it is read: Store.blob.)
        return nil
    }
}
