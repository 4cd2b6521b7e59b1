import GateWire

/// A parsed policy (grammar in man/gate-policy.5). Pure data: parsing is in PolicyParser,
/// decisions in PolicyEvaluation.
public struct Policy: Sendable {
    public struct Approver: Sendable, Equatable {
        public var name: String
        /// The unix user (or identity) who owns the keys; never counts for their own requests.
        public var user: String
        public var keys: [PublicKey]
        public var line: Int
    }

    public struct Requirement: Sendable, Equatable, CustomStringConvertible {
        public var count: Int
        /// nil: any trusted approver.
        public var group: String?
        public init(count: Int, group: String?) { self.count = count; self.group = group }
        public var description: String { group.map { "\(count) of \($0)" } ?? "\(count) approval\(count == 1 ? "" : "s")" }
    }

    public enum Action: Sendable, Equatable {
        case allow
        case deny(message: String?)
        case require([Requirement])
    }

    public enum ArgPattern: Sendable, Equatable {
        case glob(String)
        case rest  // `...`: any remaining arguments, zero or more
    }

    public struct Rule: Sendable, Equatable {
        public var line: Int
        public var action: Action
        /// Executable: a basename glob (no `/`) or an absolute path glob.
        public var executable: String
        public var arguments: [ArgPattern]
        public var label: String { "line \(line)" }
    }

    public var approvers: [Approver] = []
    public var groups: [String: [String]] = [:]
    public var rules: [Rule] = []
    /// What applies when no rule matches; deny when the file does not say.
    public var defaultAction: Action = .deny(message: nil)
    public var defaultLine: Int? = nil
    /// BLAKE2b-256 of the policy file's bytes, recorded with every request.
    public var digest: [UInt8] = []

    public init() {}

    public func approver(forKey id: KeyID) -> (Approver, PublicKey)? {
        for a in approvers { if let k = a.keys.first(where: { $0.id == id }) { return (a, k) } }
        return nil
    }

    public func approver(named name: String) -> Approver? { approvers.first { $0.name == name } }

    /// Members of a requirement's group; all approvers when the requirement names none.
    public func eligibleApprovers(for requirement: Requirement) -> [String] {
        guard let g = requirement.group else { return approvers.map(\.name) }
        return groups[g] ?? []
    }
}
