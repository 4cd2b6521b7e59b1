import GateCore
import GateWire
import GateSystem

/// `gate audit evidence RUN_ID`: one self-contained file that proves one run (SPEC.md §8). It
/// carries the ledger entries from the run's first event to the first checkpoint after its last,
/// that checkpoint, the ledger key, the approvers' public keys and, when it is still the one the
/// run was decided under, the policy text. Nothing in it needs to be trusted: the chain segment
/// ends at the signed head, the run's intent digest is recomputed from the recorded fields, and
/// every approval token is verified under its approver's key (tools/gate_verify.py evidence).
public enum Evidence {
    public static let format = "gate-evidence-v2"

    public static func bundle(store: Store, run: RequestID, policy: Policy?) throws -> JSON {
        // The run's own entries: where the segment starts, what it must reach, which keys signed.
        var first: Int64?, last: Int64 = 0
        var policyDigest: String?
        var keyIDs: [String] = []
        // The name each key signed under, as the ledger recorded it: the bundle must agree with
        // its own entries even if the policy has renamed the approver since.
        var recordedNames: [String: String] = [:]
        var starts = 0, ending: String?
        try store.forEachLedgerEntry(request: run.compact) { e in
            if first == nil { first = e.seq }
            last = e.seq
            let payload = try? JSON.parse(e.payload)
            if ["denied", "cancelled", "refused"].contains(e.kind) { ending = e.kind }
            if e.kind == LedgerKind.started.rawValue || e.kind == LedgerKind.breakGlass.rawValue {
                starts += 1
                policyDigest = payload?["policy_digest"]?.stringValue
                for a in payload?["approvals"]?.arrayValue ?? [] {
                    guard let k = a["key_id"]?.stringValue else { continue }
                    keyIDs.append(k)
                    if let name = a["approver"]?.stringValue { recordedNames[k] = name }
                }
            }
            if let k = payload?["key_id"]?.stringValue {
                keyIDs.append(k)
                if let name = payload?["approver"]?.stringValue { recordedNames[k] = name }
            }
            return true
        }
        guard let first else {
            throw GateFailure.usage("no ledger entries for run \(run)", hint: "see 'gate log' for run ids")
        }
        // Evidence proves one run (SPEC.md §8 step 4: exactly one start); a request that never
        // ran has none to prove, and a bundle for it could never verify.
        guard starts == 1 else {
            if starts > 1 { throw GateFailure(.dataError, "the ledger has \(starts) starts for run \(run); one run starts once") }
            throw GateFailure.usage(try neverRan(run, ending: ending, store: store))
        }
        let checkpoint = try store.checkpoint(coveringAtLeast: last) ?? store.checkpointNow()

        var entries: [JSON] = []
        try store.forEachLedgerEntry(afterSeq: first - 1) { e in
            guard e.seq <= checkpoint.body.size else { return false }
            entries.append(LedgerText.json(e))
            return true
        }

        // The policy the run was decided under: as the ledger recorded it, else the one on disk if
        // it is still that one. A verifier takes the approvers' keys from it, nowhere else.
        let digestBytes = policyDigest.flatMap { try? Hex.decode($0) } ?? []
        let decidedUnder: Policy? = try recordedPolicy(digest: digestBytes, in: store)
            ?? (policy.flatMap { Hex.encode($0.digest) == policyDigest ? $0 : nil })
        if decidedUnder == nil && !keyIDs.isEmpty {
            throw GateFailure(.dataError, "the policy run \(run) was decided under (\(String((policyDigest ?? "").prefix(12)))…) is neither recorded in the ledger nor the one on disk: nothing says whose keys its approvals are",
                              hint: "evidence needs that policy; a ledger written by this gate records it")
        }
        var approverKeys: [JSON] = []
        var seen = Set<String>()
        for id in keyIDs where seen.insert(id).inserted {
            guard let approver = decidedUnder?.approvers.first(where: { $0.keys.contains { $0.id.description == id } }),
                  let key = approver.keys.first(where: { $0.id.description == id }) else {
                throw GateFailure(.dataError, "key \(id), which signed a decision in run \(run), is not in the policy the run was decided under",
                                  hint: "gate audit verify names the entry; the run's approvals were not gate's")
            }
            approverKeys.append(.object([("name", .string(recordedNames[id] ?? approver.name)), ("key", .string(key.text))]))
        }

        var fields: [(String, JSON)] = [
            ("format", .string(format)),
            ("run", .string(run.compact)),
            ("ledger_id", .string(checkpoint.body.ledgerID)),
            ("ledger_key", .string(try store.recordedLedgerKey()?.text ?? "")),
            ("checkpoint", .string(checkpoint.text)),
            ("approver_keys", .array(approverKeys)),
        ]
        if let decidedUnder { fields.append(("policy", .string(decidedUnder.text))) }
        fields.append(("entries", .array(entries)))
        return .object(fields)
    }
}

extension Evidence {
    /// Why a request has no run to prove, in one line: its state as the ledger ended it
    /// (denied, cancelled, refused) or, while nothing ended it, as the request stands.
    static func neverRan(_ run: RequestID, ending: String?, store: Store) throws -> String {
        let state: String
        switch try store.request(run)?.status {
        case let s? where [.denied, .cancelled, .expired, .refused].contains(s): state = "was \(s.rawValue)"
        case .pending?: state = "is still pending"
        case .approved?: state = "was approved but has not started"
        default: state = ending.map { "was \($0)" } ?? "has no start in the ledger"
        }
        return "request \(run) \(state); it never ran"
    }

    static func recordedPolicy(digest: [UInt8], in store: Store) throws -> Policy? {
        digest.count == 32 ? try store.recordedPolicy(digest: digest) : nil
    }
}

extension Store {
    /// The largest checkpoint with `size` in (`low`, `high`].
    public func checkpoint(above low: Int64, atMost high: Int64) throws -> SignedCheckpoint? {
        try wrap {
            let s = try db.prepare("SELECT text FROM checkpoints WHERE size > ? AND size <= ? ORDER BY size DESC LIMIT 1").bind([.int(low), .int(high)])
            guard try s.step() else { return nil }
            return try? SignedCheckpoint(parsing: s.text(0))
        }
    }

    /// Entries `low+1 ... high`, in order.
    public func entries(after low: Int64, through high: Int64) throws -> [LedgerEntry] {
        var out: [LedgerEntry] = []
        guard low < high else { return out }
        try wrap { try Self.stream(db, seq: (low + 1)...high) { out.append($0); return true } }
        return out
    }

    /// The first checkpoint whose size is at least `seq`.
    func checkpoint(coveringAtLeast seq: Int64) throws -> SignedCheckpoint? {
        try wrap {
            let s = try db.prepare("SELECT text FROM checkpoints WHERE size >= ? ORDER BY size LIMIT 1").bind([.int(seq)])
            guard try s.step() else { return nil }
            return try? SignedCheckpoint(parsing: s.text(0))
        }
    }
}
