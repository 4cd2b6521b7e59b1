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

    /// `requester NAME key=…`: a host, CI runner or agent allowed to create requests on a gate
    /// server (its statements are signed with these keys). Not an approver.
    public struct Requester: Sendable, Equatable {
        public var name: String
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

    /// Conditions a rule can put on who asks and where (all must hold).
    public struct Conditions: Sendable, Equatable {
        public var users: [String] = []          // requester's unix user, glob; any listed matches
        public var agent: AgentCondition = .any
        public var environment: [(name: String, value: String)] = []  // exact name, value glob
        public var cwdPrefixes: [String] = []    // cwd equal to or below one of these
        public var executableDigest: [UInt8]? = nil  // BLAKE2b-256 pin of the executable

        public static func == (a: Conditions, b: Conditions) -> Bool {
            a.users == b.users && a.agent == b.agent && a.cwdPrefixes == b.cwdPrefixes && a.executableDigest == b.executableDigest
                && a.environment.map(\.name) == b.environment.map(\.name) && a.environment.map(\.value) == b.environment.map(\.value)
        }

        public var isEmpty: Bool { self == Conditions() }
    }

    public enum AgentCondition: Sendable, Equatable {
        case any               // no condition
        case none              // only without an agent label
        case matching(String)  // only with an agent label matching the glob
    }

    /// What a matching rule adds to its action.
    public struct Options: Sendable, Equatable {
        public var reasonRequired = false
        /// How long a request may stay pending before it expires.
        public var requestTTL: UInt64? = nil
        /// The longest approval token lifetime accepted for this rule.
        public var approvalTTL: UInt64? = nil
        /// `gate run --break-glass` is permitted where this rule matches.
        public var breakGlass = false
        /// `ticket`: the request must carry `--ticket`.
        public var ticketRequired = false
        /// `context=NAME`: providers whose output is attached to the request.
        public var contexts: [String] = []
        /// `bind={N}` / `bind=FILE`: files hashed into the intent.
        public var bindFiles: [BindTarget] = []
        /// `bind-env=NAME`: variables bound into the intent.
        public var bindEnvironment: [String] = []
        /// `keep-env=NAME` (a trailing `*` is a prefix): variables that reach the command, beyond
        /// the default keep list (EnvironmentReset). Named exactly, even a dangerous one passes.
        public var keepEnvironment: [String] = []
        /// `as=USER`: the command runs as this user and its groups, started by the gate daemon
        /// (never by the requester's own gate, which holds no other user's privilege).
        public var runAs: String? = nil
    }

    public struct Rule: Sendable, Equatable {
        public var line: Int
        public var action: Action
        /// Executable: a basename glob (no `/`) or an absolute path glob.
        public var executable: String
        public var arguments: [ArgPattern]
        public var conditions = Conditions()
        public var options = Options()
        public var label: String { "line \(line)" }
    }

    public var approvers: [Approver] = []
    public var requesters: [Requester] = []
    public var groups: [String: [String]] = [:]
    public var groupLines: [String: Int] = [:]
    public var rules: [Rule] = []
    /// What applies when no rule matches; deny when the file does not say.
    public var defaultAction: Action = .deny(message: nil)
    public var defaultOptions = Options()
    public var defaultLine: Int? = nil
    /// `syslog [FACILITY]`: also send one line per ledger event to syslog (the facility's code).
    public var syslogFacility: Int? = nil
    /// `context NAME … -- ARGV`, by name.
    public var contextProviders: [String: ContextProvider] = [:]
    /// `env NAME…`: variables kept for every command (passed, bound, shown), beyond the defaults.
    public var environmentAllowlist: [String] = []
    /// The line of each `environmentAllowlist` entry.
    public var environmentAllowlistLines: [Int] = []
    /// `trusted-path DIR:…`: where a bare-name pattern's executable must be found, and the PATH
    /// the command gets (sudo's secure_path). Absolute, canonical directories.
    public var trustedPath: [String] = Policy.defaultTrustedPath
    public var trustedPathLine: Int? = nil
    /// `trustedPath` as a PATH value. Joined by hand: the generic `joined(separator:)` costs an
    /// allowed run ~0.18 M instructions the first time it is used (callgrind).
    public var trustedPATH: String {
        var out = ""
        for dir in trustedPath { if !out.isEmpty { out += ":" }; out += dir }
        return out
    }
    public static let defaultTrustedPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    /// BLAKE2b-256 of the policy file's bytes, recorded with every request.
    public var digest: [UInt8] = []
    /// The text it was parsed from (shared, not copied), for explanations.
    public var text = ""

    /// Line `n` as written, without surrounding blanks.
    public func sourceLine(_ n: Int) -> String {
        var line = 1
        for part in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line == n { return String(decoding: part, as: UTF8.self).trimmingASCIIWhitespace() }
            line += 1
        }
        return ""
    }

    public init() {}

    public func approver(forKey id: KeyID) -> (Approver, PublicKey)? {
        for a in approvers { if let k = a.keys.first(where: { $0.id == id }) { return (a, k) } }
        return nil
    }

    public func approver(named name: String) -> Approver? { approvers.first { $0.name == name } }

    public func requester(forKey id: KeyID) -> (Requester, PublicKey)? {
        for r in requesters { if let k = r.keys.first(where: { $0.id == id }) { return (r, k) } }
        return nil
    }

    /// Members of a requirement's group; all approvers when the requirement names none.
    public func eligibleApprovers(for requirement: Requirement) -> [String] {
        guard let g = requirement.group else { return approvers.map(\.name) }
        return groups[g] ?? []
    }
}
