import GateWire

/// A one-line machine summary of a plan a context provider printed as JSON, for the approver's
/// header and (later) chat notifications: `terraform show -json PLAN` has `resource_changes`,
/// each with `change.actions` (`["create"]`, `["delete"]`, `["update"]`, `["delete","create"]`
/// or `["create","delete"]` for a replacement, `["no-op"]`, `["read"]`).
public struct PlanSummary: Equatable, Sendable, CustomStringConvertible {
    public var add = 0, change = 0, destroy = 0, replace = 0

    public init(add: Int = 0, change: Int = 0, destroy: Int = 0, replace: Int = 0) {
        self.add = add
        self.change = change
        self.destroy = destroy
        self.replace = replace
    }

    /// Nil when the document is not a terraform plan.
    public static func terraform(_ plan: JSON) -> PlanSummary? {
        guard let changes = plan["resource_changes"]?.arrayValue else { return nil }
        var s = PlanSummary()
        for rc in changes {
            let actions = (rc["change"]?["actions"]?.arrayValue ?? []).compactMap(\.stringValue)
            switch Set(actions) {
            case ["create"]: s.add += 1
            case ["update"]: s.change += 1
            case ["delete"]: s.destroy += 1
            case ["create", "delete"]: s.replace += 1
            default: break  // no-op, read
            }
        }
        return s
    }

    /// Terraform's own wording, a replacement counting as one add and one destroy.
    public var description: String {
        "Plan: \(add + replace) to add, \(change) to change, \(destroy + replace) to destroy" + (replace > 0 ? " (\(replace) replaced)" : "")
    }
}
