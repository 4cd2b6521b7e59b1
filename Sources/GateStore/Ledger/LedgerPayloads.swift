import GateCore
import GateWire

/// The JSON payloads of ledger entries (SPEC.md §6 lists the fields). Field names are stable:
/// auditors' tooling reads them.
public enum LedgerPayload {
    public static func intentFields(_ intent: Intent, digest: IntentDigest) -> [(String, JSON)] {
        [
            ("intent_digest", .string(digest.hex)),
            ("argv", .array(intent.argv.map(JSON.string))),
            ("executable", .string(intent.executable)),
            ("executable_digest", .string(Hex.encode(intent.executableDigest))),
            ("cwd", .string(intent.cwd)),
            ("user", .string(intent.user)),
            ("uid", .int(Int64(intent.uid))),
            ("agent", .string(intent.agent)),
            ("host", .string(intent.host)),
            ("bound_files", .array(intent.boundFiles.map { .object([("path", .string($0.path)), ("digest", .string(Hex.encode($0.digest)))]) })),
            ("bound_env", .array(intent.boundEnvironment.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })),
        ] + (intent.shown.isEmpty ? [] : [
            // Context outputs bound into the intent (gateint2): a verifier recomputes the digest with them.
            ("context_digests", .array(intent.shown.map { .object([("name", .string($0.name)), ("digest", .string(Hex.encode($0.digest)))]) })),
        ])
    }

    public static func requested(_ r: RequestRecord) -> JSON {
        .object(intentFields(r.intent, digest: r.digest) + [
            ("reason", .string(r.reason)),
            ("rule", .string(r.rule)),
            ("requires", .string(r.requirements.map(\.description).joined(separator: " and "))),
            ("policy_digest", .string(Hex.encode(r.policyDigest))),
            ("ticket", .string(r.ticket)),
            ("environment", r.context["environment"] ?? .array([])),
            // Outputs by digest (the bytes are in context_blobs, shown by `gate show`).
            ("context", .array((r.context["providers"]?.arrayValue ?? []).map { p in
                .object(["name", "status", "exit_code", "bytes", "truncated", "digest", "summary"].compactMap { k in p[k].map { (k, $0) } })
            })),
        ])
    }

    public static func decision(_ token: SignedToken, approver: String) -> JSON {
        let p = token.payload
        return .object([
            ("approver", .string(approver)),
            ("key_id", .string(p.keyID.description)),
            ("intent_digest", .string(Hex.encode(p.intentDigest))),
            ("issued_at", .int(Int64(p.issuedAt))),
            ("expires_at", .int(Int64(p.expiresAt))),
            ("comment", .string(p.comment)),
            ("token", .string(token.text)),
        ])
    }

    public static func refused(code: RefusalCode, message: String, extra: [(String, JSON)] = []) -> JSON {
        .object([("code", .string(code.rawValue)), ("message", .string(message))] + extra)
    }
}
