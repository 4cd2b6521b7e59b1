import GateCore
import GateStore
import GateSystem
import GateWire

/// The daemon's side of `gate approve` and `gate deny`: the approver's own gate signs with the
/// approver's key (which never leaves their account); the daemon checks the token as a runner
/// would and records it. One check more than local mode can make: the key must belong to the
/// unix user at the other end of the socket (the policy's `approver NAME user=USER`), so a key
/// copied to another account decides nothing.
public enum DaemonDecision {
    /// The request an approver is about to decide, as the remote API transfers it.
    public static func find(_ typed: String, toApprove: Bool) throws -> JSON {
        let store = try Store.open(try GateEnvironment.current())
        let r = try store.findRequest(typed)
        if let why = try store.integrityProblem(r) { throw GateFailure(.dataError, why, hint: "nothing can be approved until it is explained") }
        if toApprove, r.status == .pending, let change = try IntentCapture.approvalRecheck(r.intent) {
            _ = try? store.record(.refused, request: r.id.compact, actor: DaemonWorkerMode.requester?.user ?? "",
                                  payload: LedgerPayload.refused(code: .intentChanged, message: "approve: \(change)"))
            throw GateFailure.denied("\(change); nothing can be approved", hint: "the requester runs the command again: a new request shows what is there now")
        }
        return RequestTransfer.encode(r, tokens: try store.tokenTexts(for: r.id))
    }

    public static func record(_ text: String, review: Bool) throws -> JSON {
        guard let peer = DaemonWorkerMode.requester else { throw GateFailure.internalError("not a daemon worker") }
        let environment = try GateEnvironment.current()
        let store = try Store.open(environment)
        func refuse(_ message: String, code: RefusalCode, request: String?) -> GateFailure {
            _ = try? store.record(.refused, request: request ?? "", actor: peer.user,
                                  payload: LedgerPayload.refused(code: code, message: "\(review ? "review" : "decision"): \(message)"))
            return .denied(message)
        }
        let token: SignedToken
        do { token = try SignedToken(text: text) } catch { throw refuse("malformed token: \(error)", code: .malformedToken, request: nil) }
        let p = token.payload
        guard let id = RequestID(p.requestID) else { throw refuse("the token names no request", code: .malformedToken, request: nil) }
        let r = try store.findRequest(id.compact)
        let policy = try PolicyLoader.load(environment.policyPath)
        let expected: RequestStatus = review ? .review : .pending
        guard r.status == expected else {
            throw refuse("request \(id) is \(r.status.rawValue), not \(expected.rawValue)", code: review ? .notReview : .notPending, request: id.compact)
        }
        if !review, let e = r.expiresMicros, System.nowMicros() >= e {
            throw refuse("request \(id) has expired", code: .expired, request: id.compact)
        }
        guard let (approver, _) = policy.approver(forKey: p.keyID) else {
            throw refuse("key \(p.keyID) is not trusted by the policy", code: .untrustedKey, request: id.compact)
        }
        guard approver.user == peer.user else {
            throw refuse("key \(p.keyID) belongs to \(approver.name) (user \(approver.user)), not to \(peer.user), who submitted it",
                         code: .untrustedKey, request: id.compact)
        }
        let check = r.submittedTokenCheck(policy: policy, now: System.nowSeconds())
        let verified: VerifiedDecision
        switch check.verify(token) {
        case .failure(let why): throw refuse(why.description, code: why.code, request: id.compact)
        case .success(let v): verified = v
        }
        if p.decision == .approve && !review && !r.isEligible(verified.approver, under: policy) {
            throw refuse("\(verified.approver) is not eligible to approve this request (needs \(r.requirements.map(\.description).joined(separator: " and ")))",
                         code: .notEligible, request: id.compact)
        }
        if p.decision == .approve && !review, let change = try IntentCapture.approvalRecheck(r.intent) {
            throw refuse("\(change); the approval is not recorded", code: .intentChanged, request: id.compact)
        }
        try store.recordDecision(token, request: id, approver: verified.approver, review: review)
        let status = review ? RequestStatus.reviewed : p.decision == .deny ? .denied : .pending
        return .object([("id", .string(id.compact)), ("approver", .string(verified.approver)), ("status", .string(status.rawValue))])
    }
}
