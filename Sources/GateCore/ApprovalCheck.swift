import GateWire

/// Why a token does not let a command run. Each case is one line a requester can act on.
public enum TokenRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case untrustedKey(KeyID)
    case badSignature(KeyID)
    case otherRequest(token: String, expected: String)
    case intentMismatch(token: String, now: String)
    case expired(at: UInt64)
    case issuedInFuture(at: UInt64)
    case selfApproval(approver: String, user: String)
    case lifetimeTooLong(seconds: UInt64, allowed: UInt64)

    public var description: String {
        switch self {
        case .untrustedKey(let id): return "token is signed by key \(id), which the policy does not trust"
        case .badSignature(let id): return "token signature does not verify under key \(id) (forged or damaged token)"
        case .otherRequest(let t, let e): return "token is for request \(t), not \(e)"
        case .intentMismatch(let t, let n):
            return "token approves intent \(t.prefix(12))…, but this command's intent is \(n.prefix(12))… (argv, executable, cwd, a bound file or a bound variable differs)"
        case .expired(let at): return "token expired at \(formatUTC(at))"
        case .issuedInFuture(let at): return "token is issued in the future (\(formatUTC(at))); check the clocks"
        case .selfApproval(let a, let u): return "token is signed by '\(a)', who is the requester '\(u)': no one approves their own request"
        case .lifetimeTooLong(let s, let a):
            return "token is valid for \(GateDuration(seconds: s)), longer than the \(GateDuration(seconds: a)) the rule allows"
        }
    }

    /// A short machine word for the ledger and JSON output.
    public var code: RefusalCode {
        switch self {
        case .untrustedKey: .untrustedKey
        case .badSignature: .badSignature
        case .otherRequest: .otherRequest
        case .intentMismatch: .intentMismatch
        case .expired: .expired
        case .issuedInFuture: .issuedInFuture
        case .selfApproval: .selfApproval
        case .lifetimeTooLong: .lifetimeTooLong
        }
    }

}

/// A token that passed every check, with the approver the policy names for its key.
public struct VerifiedDecision: Sendable, Equatable {
    public var approver: String
    public var token: SignedToken
}

public enum ApprovalOutcome: Sendable, Equatable {
    case approved([VerifiedDecision])
    case denied(VerifiedDecision)
    /// Valid so far, not enough yet; `missing` says what is still needed, for people.
    case pending(have: [VerifiedDecision], missing: [String])
    case refused(TokenRefusal)
}

/// The pure check that stands between a token and exec (SPEC.md §5). No clock, no store: the
/// caller passes `now`, and single use is enforced by the store in the transaction that records
/// the start.
public struct ApprovalCheck: Sendable {
    public var policy: Policy
    public var requirements: [Policy.Requirement]
    public var requesterUser: String
    /// nil when any request id is acceptable (a pre-issued `--token`, bound by the digest alone).
    public var requestID: String?
    public var intentDigest: IntentDigest
    public var now: UInt64
    /// The longest token lifetime the rule accepts (`approval-ttl=`), if it sets one.
    public var approvalTTL: UInt64? = nil
    /// Clock skew tolerated between approver and requester hosts.
    public static let allowedSkew: UInt64 = 300

    /// Any request id is acceptable until `requestID` is set.
    public init(policy: Policy, requirements: [Policy.Requirement], requesterUser: String, intentDigest: IntentDigest, now: UInt64) {
        self.policy = policy
        self.requirements = requirements
        self.requesterUser = requesterUser
        self.intentDigest = intentDigest
        self.now = now
    }

    /// Checks one token completely. The key id is looked up before any cryptography.
    public func verify(_ token: SignedToken) -> Result<VerifiedDecision, TokenRefusal> {
        let p = token.payload
        guard let (approver, key) = policy.approver(forKey: p.keyID) else { return .failure(.untrustedKey(p.keyID)) }
        guard key.key.isValidSignature(token.signature, for: token.payloadBytes) else { return .failure(.badSignature(p.keyID)) }
        if let requestID, p.requestID != requestID { return .failure(.otherRequest(token: p.requestID, expected: requestID)) }
        guard p.intentDigest == intentDigest.bytes else {
            return .failure(.intentMismatch(token: Hex.encode(p.intentDigest), now: intentDigest.hex))
        }
        guard now < p.expiresAt else { return .failure(.expired(at: p.expiresAt)) }
        guard p.issuedAt <= now + Self.allowedSkew else { return .failure(.issuedInFuture(at: p.issuedAt)) }
        guard !TextSearch.sameBytes(approver.user, requesterUser) else { return .failure(.selfApproval(approver: approver.name, user: requesterUser)) }
        if let max = approvalTTL, p.expiresAt > p.issuedAt, p.expiresAt - p.issuedAt > max {
            return .failure(.lifetimeTooLong(seconds: p.expiresAt - p.issuedAt, allowed: max))
        }
        return .success(VerifiedDecision(approver: approver.name, token: token))
    }

    /// Every token must verify (one bad token refuses the whole run: fail closed); one valid denial
    /// denies; otherwise the run is approved once each requirement has enough distinct people.
    public func evaluate(_ tokens: [SignedToken]) -> ApprovalOutcome {
        var approvals: [VerifiedDecision] = []
        for token in tokens {
            switch verify(token) {
            case .failure(let refusal): return .refused(refusal)
            case .success(let d):
                if d.token.payload.decision == .deny { return .denied(d) }
                if !approvals.contains(where: { $0.approver == d.approver }) { approvals.append(d) }
            }
        }
        let missing = self.missing(people: Set(approvals.map(\.approver)))
        return missing.isEmpty ? .approved(approvals) : .pending(have: approvals, missing: missing)
    }

    /// What approvals by `people` (distinct, each already verified) leave unmet, as people read
    /// it; empty once every requirement is met.
    public func missing(people: Set<String>) -> [String] {
        var missing: [String] = []
        for r in requirements {
            let have = people.intersection(policy.eligibleApprovers(for: r)).count
            if have < r.count { missing.append("\(r.count - have) more of \(r.group ?? "any approver")") }
        }
        // Each clause counts distinct people, and one person fills one place only: "2 of sre
        // and 1 of dba" is three people even if a DBA is also an SRE.
        if missing.isEmpty && !Self.assignable(requirements.map { (Set(policy.eligibleApprovers(for: $0)), $0.count) }, people: people) {
            let needed = requirements.reduce(0) { $0 + $1.count }
            missing.append("\(needed - people.count > 0 ? needed - people.count : 1) more distinct approver(s): one person fills one place")
        }
        return missing
    }
}

extension ApprovalCheck {
    /// Whether `people` can fill every clause's places with no person used twice (a small
    /// bipartite matching by backtracking: policies name few people).
    static func assignable(_ clauses: [(eligible: Set<String>, count: Int)], people: Set<String>) -> Bool {
        var slots: [Set<String>] = []
        for c in clauses { slots += Array(repeating: c.eligible.intersection(people), count: c.count) }
        slots.sort { $0.count < $1.count }
        var used = Set<String>()
        func fill(_ i: Int) -> Bool {
            if i == slots.count { return true }
            for p in slots[i].sorted() where !used.contains(p) {
                used.insert(p)
                if fill(i + 1) { return true }
                used.remove(p)
            }
            return false
        }
        return fill(0)
    }
}

/// `2026-11-22T03:49:32Z` from Unix seconds, without Foundation (civil-from-days, H. Hinnant).
public func formatUTC(_ seconds: UInt64) -> String {
    let s = Int64(clamping: seconds)
    let days = s / 86400, rem = s % 86400
    let z = days + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem % 3600 / 60)):\(two(rem % 60))Z"
}
