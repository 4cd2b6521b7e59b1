import GateCore
internal import GateSQLite
import GateWire

/// The policy an entry was made under, in the ledger itself (SPEC.md §6, issue 12): a `policy`
/// entry with its text and digest, appended before the first request or start made under it, so
/// that `gate audit verify`, evidence and tools/gate_verify.py check each recorded approval
/// against the policy that was in force, not against whatever policy is on disk when they run.
extension Store {
    /// Records `policy` unless the ledger already has it. Call inside `write`, before the entry
    /// made under it: one primary-key lookup when nothing changed.
    public func recordPolicy(_ policy: Policy, actor: String) throws {
        guard !policy.digest.isEmpty else { return }
        let known = try db.prepare("SELECT 1 FROM policies WHERE digest = ?").bind([.blob(policy.digest)])
        if try known.step() { return }
        let entry = try appendLedger(.policy, request: "", actor: actor,
                                     payload: .object([("digest", .string(Hex.encode(policy.digest))), ("text", .string(policy.text))]))
        try db.prepare("INSERT INTO policies(digest, seq) VALUES (?, ?)").run([.blob(policy.digest), .int(entry.seq)])
    }

    /// The recorded text of the policy with `digest`, if the ledger has it.
    public func recordedPolicy(digest: [UInt8]) throws -> Policy? {
        try wrap {
            let s = try db.prepare("SELECT l.payload FROM policies p JOIN ledger l ON l.seq = p.seq WHERE p.digest = ?").bind([.blob(digest)])
            guard try s.step(), let text = (try? JSON.parse(s.text(0)))?["text"]?.stringValue else { return nil }
            return try? PolicyParser.parse(text)
        }
    }
}
