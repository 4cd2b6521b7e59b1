import GateCore
import GateCrypto
import GateWire

/// How a request travels between the gate server and its clients (SPEC.md §9): the intent in
/// its canonical encoding (so the digest a client signs is recomputed from exactly those bytes,
/// never trusted from a field), the rest as plain JSON fields.
public enum RequestTransfer {
    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    public static func encode(_ r: RequestRecord, tokens: [String], blobs: [(digest: [UInt8], data: [UInt8])]? = nil) -> JSON {
        var fields: [(String, JSON)] = [
            ("id", .string(r.id.compact)),
            ("created_us", .int(r.createdMicros)),
            ("updated_us", .int(r.updatedMicros)),
            ("intent", .string(Base64URL.encode(r.intent.encoded()))),
            ("intent_digest", .string(r.digest.hex)),
            ("reason", .string(r.reason)),
            ("rule", .string(r.rule)),
            ("requirements", .string(RequirementsText.encode(r.requirements))),
            ("policy_digest", .string(Hex.encode(r.policyDigest))),
            ("status", .string(r.status.rawValue)),
            ("expires_us", r.expiresMicros.map { .int($0) } ?? .null),
            ("approval_ttl", r.approvalTTL.map { .int(Int64($0)) } ?? .null),
            ("ticket", .string(r.ticket)),
            ("context", r.context),
            ("tokens", .array(tokens.map(JSON.string))),
        ]
        if let blobs { fields.append(("blobs", encodeBlobs(blobs))) }
        return .object(fields)
    }

    /// Context outputs as they travel: `[{"digest": hex, "data": base64url}]`.
    public static func encodeBlobs(_ blobs: [(digest: [UInt8], data: [UInt8])]) -> JSON {
        .array(blobs.map { .object([("digest", .string(Hex.encode($0.digest))), ("data", .string(Base64URL.encode($0.data)))]) })
    }

    /// The reverse, refusing any output that is not what its digest names.
    public static func decodeBlobs(_ j: JSON?) throws -> [(digest: [UInt8], data: [UInt8])] {
        try (j?.arrayValue ?? []).map { b in
            guard let d = b["digest"]?.stringValue.flatMap({ try? Hex.decode($0) }),
                  let data = b["data"]?.stringValue.flatMap({ try? Base64URL.decode($0) }) else { throw Malformed("a blob is malformed") }
            guard BLAKE2b.hash(data) == d else { throw Malformed("a context output does not match its digest") }
            return (d, data)
        }
    }

    public struct Decoded {
        public var record: RequestRecord
        public var tokens: [String]
        /// Context outputs by digest, each checked against its digest.
        public var blobs: [[UInt8]: [UInt8]]
    }

    public static func decode(_ j: JSON) throws -> Decoded {
        func string(_ k: String) throws -> String {
            guard let s = j[k]?.stringValue else { throw Malformed("field '\(k)' is missing or not a string") }
            return s
        }
        func int(_ k: String) throws -> Int64 {
            guard let i = j[k]?.intValue else { throw Malformed("field '\(k)' is missing or not an integer") }
            return i
        }
        guard let id = RequestID(try string("id")) else { throw Malformed("'id' is not a request id") }
        let intent: Intent
        do { intent = try Intent(decoding: try Base64URL.decode(Substring(try string("intent")))) } catch let e as WireError {
            throw Malformed("'intent': \(e.description)")
        }
        guard let status = RequestStatus(rawValue: try string("status")) else { throw Malformed("unknown status") }
        var r = RequestRecord(id: id, createdMicros: try int("created_us"), intent: intent, status: status)
        r.reason = try string("reason")
        r.rule = try string("rule")
        r.requirements = RequirementsText.decode(try string("requirements"))
        r.policyDigest = (try? Hex.decode(try string("policy_digest"))) ?? []
        r.updatedMicros = try int("updated_us")
        r.expiresMicros = j["expires_us"]?.intValue
        r.approvalTTL = j["approval_ttl"]?.intValue.map { UInt64(max(0, $0)) }
        r.ticket = try string("ticket")
        r.context = j["context"] ?? .object([])
        guard let tokens = j["tokens"]?.arrayValue?.compactMap(\.stringValue) else { throw Malformed("'tokens' is missing") }
        // What the server says an output was is only shown if it is what the digest names.
        let blobs = Dictionary(try decodeBlobs(j["blobs"]).map { ($0.digest, $0.data) }) { first, _ in first }
        return Decoded(record: r, tokens: tokens, blobs: blobs)
    }
}

extension RequestRecord {
    /// The check a token submitted for this request must pass (gate approve through the daemon,
    /// a gate server's decisions): its requirements, its requester, its intent, its id, the
    /// rule's approval lifetime.
    public func submittedTokenCheck(policy: Policy, now: UInt64) -> ApprovalCheck {
        var check = ApprovalCheck(policy: policy, requirements: requirements, requesterUser: intent.user, intentDigest: digest, now: now)
        check.requestID = id.compact
        check.approvalTTL = approvalTTL
        return check
    }

    /// Whether `approver` may approve this request under `policy` (one of its requirements' groups).
    public func isEligible(_ approver: String, under policy: Policy) -> Bool {
        requirements.contains { policy.eligibleApprovers(for: $0).contains(approver) }
    }
}

/// How far a request's approvals have come: who approved (valid tokens only) and what is still
/// missing, for `gate show`, the requester's wait and a second `gate approve` by the same person.
public struct ApprovalProgress: Sendable, Equatable {
    public var approvers: [String]
    public var missing: [String]
    public var required: Int

    /// "1 of 2 (alice)".
    public var summary: String {
        "\(approvers.count) of \(required)" + (approvers.isEmpty ? "" : " (\(approvers.joined(separator: ", ")))")
    }
}

extension RequestRecord {
    /// The decisions on record that verify, in order, each checked once. For people to read: a
    /// run checks every token again and refuses on any that does not verify.
    public func validDecisions(tokens: [String], policy: Policy, now: UInt64) -> [VerifiedDecision] {
        let check = submittedTokenCheck(policy: policy, now: now)
        return tokens.compactMap { text in
            guard let t = try? SignedToken(text: text), case .success(let d) = check.verify(t) else { return nil }
            return d
        }
    }

    public func progress(of decisions: [VerifiedDecision], policy: Policy, now: UInt64) -> ApprovalProgress {
        var approvers: [String] = []
        for d in decisions where d.token.payload.decision == .approve && !approvers.contains(d.approver) { approvers.append(d.approver) }
        let required = requirements.reduce(0) { $0 + $1.count }
        let missing = submittedTokenCheck(policy: policy, now: now).missing(people: Set(approvers))
        return ApprovalProgress(approvers: approvers, missing: missing, required: max(required, approvers.count))
    }

    public func progress(tokens: [String], policy: Policy, now: UInt64) -> ApprovalProgress {
        progress(of: validDecisions(tokens: tokens, policy: policy, now: now), policy: policy, now: now)
    }

    /// The first valid denial on record.
    public func denial(tokens: [String], policy: Policy, now: UInt64) -> VerifiedDecision? {
        validDecisions(tokens: tokens, policy: policy, now: now).first { $0.token.payload.decision == .deny }
    }
}
