/// The word a refusal is recorded and answered under: the `code` of a `refused` ledger entry
/// (SPEC.md §6.4), of a server's JSON error (§9.2) and of `--json` output. One list for gate and
/// gate-server, so an auditor's query for a code finds every place it can come from; SPEC.md's
/// table of refusal codes is checked against these cases by a test.
public enum RefusalCode: String, CaseIterable, Sendable, CustomStringConvertible {
    // The requester's host: before any approval is looked at.
    case config = "config"
    case notRunnable = "not-runnable"
    case userNamespace = "user-namespace"
    case nameMismatch = "name-mismatch"
    case policyDeny = "policy-deny"
    case reasonRequired = "reason-required"
    case ticketRequired = "ticket-required"
    case bindFailed = "bind-failed"
    case contextFailed = "context-failed"
    case breakGlassRefused = "break-glass-refused"
    case runAs = "run-as"

    // A token, checked (TokenRefusal), and the decisions it is part of.
    case malformedToken = "malformed-token"
    case untrustedKey = "untrusted-key"
    case badSignature = "bad-signature"
    case otherRequest = "other-request"
    case intentMismatch = "intent-mismatch"
    case expired = "expired"
    case issuedInFuture = "issued-in-future"
    case selfApproval = "self-approval"
    case lifetimeTooLong = "lifetime-too-long"
    case notEligible = "not-eligible"
    case replayed = "replayed"
    case insufficient = "insufficient"
    case denied = "denied"

    // The request and the run.
    case requestNotStanding = "request-not-standing"
    case intentChanged = "intent-changed"
    case notPending = "not-pending"
    case notReview = "not-review"
    case alreadyDecided = "already-decided"
    case agentDecision = "agent-decision"

    // Talking to a gate server (the client's side).
    case serverUnavailable = "server-unavailable"
    case serverRefused = "server-refused"

    // The gate server's answers (HTTP status in SPEC.md §9.2).
    case badBody = "bad-body"
    case badID = "bad-id"
    case badQuery = "bad-query"
    case badIntent = "bad-intent"
    case badContext = "bad-context"
    case badStatement = "bad-statement"
    case malformedStatement = "malformed-statement"
    case notRequester = "not-requester"
    case policyMismatch = "policy-mismatch"
    case exists = "exists"
    case unknownRequest = "unknown-request"
    case unknownLedger = "unknown-ledger"
    case badCheckpoint = "bad-checkpoint"
    case ledgerShrank = "ledger-shrank"
    case ledgerRewritten = "ledger-rewritten"
    case ledgerClaimed = "ledger-claimed"
    case tooLarge = "too-large"
    case tooManyPending = "too-many-pending"
    case busy = "busy"
    case overQuota = "over-quota"
    case notFound = "not-found"
    case badMethod = "bad-method"
    case badRequest = "bad-request"
    case serverPolicy = "server-policy"
    case serverError = "server-error"

    /// The word itself, wherever a code is interpolated (logs, messages).
    public var description: String { rawValue }
}
