import GateCore
import GateWire

/// What `gate run --json-status FILE` reports about one run, for a CI step or an agent that must
/// not parse English: filled in by the steps as they learn it (the request filed or picked up,
/// the rule, who approved, how the command ended, the refusal's code), read once at the end.
public final class RunReport: @unchecked Sendable {
    public var requestID: String?
    public var rule: String?
    public var approvers: [String] = []
    /// Set where a run's fate is decided without it running: pending, timeout, cancelled, denied.
    public var outcome: String?
    public var deniedBy: String?
    public var exitCode: Int32?
    public var signal: Int32?
    public var code: RefusalCode?
    public init() {}

    /// The document: `outcome` is one of ran, pending, denied, refused, timeout, cancelled.
    public func json(status: Int32, message: String?) -> JSON {
        let ran = exitCode != nil || signal != nil
        let result: String
        if ran { result = "ran" } else if let outcome { result = outcome } else if code == .policyDeny || code == .denied { result = "denied" } else if status == 75 {
            result = "cancelled"
        } else { result = "refused" }
        return .object([
            ("outcome", .string(result)),
            ("request_id", requestID.flatMap { RequestID($0) }.map { .string($0.description) } ?? .null),
            ("rule", rule.map(JSON.string) ?? .null),
            ("approvers", .array(approvers.map(JSON.string))),
            ("denied_by", deniedBy.map(JSON.string) ?? (result == "denied" && code == .policyDeny ? .string("policy") : .null)),
            ("exit_code", exitCode.map { .int(Int64($0)) } ?? .null),
            ("signal", signal.map { .int(Int64($0)) } ?? .null),
            ("code", ran ? .null : code.map { .string($0.rawValue) } ?? .null),
            ("message", ran ? .null : message.map(JSON.string) ?? .null),
            ("gate_exit", .int(Int64(status))),
        ])
    }
}

/// `--no-wait`: the request is filed and pending; the run ends here (exit 75) and a later
/// `gate run --request ID -- CMD` picks up the decision.
public struct RunPending: Error {
    public var id: RequestID
}
