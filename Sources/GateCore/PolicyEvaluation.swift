import GateWire

/// What a rule is matched against: the command as it will run and who asks, where.
public struct MatchContext: Sendable {
    public var executable: String
    public var executableDigest: [UInt8]
    public var argv: [String]
    /// The requester's unix user; an agent acting for the user is the user.
    public var user: String
    public var agent: String
    public var cwd: String
    public var environment: @Sendable (String) -> String?

    public init(executable: String, executableDigest: [UInt8], argv: [String], user: String, agent: String, cwd: String,
                environment: @escaping @Sendable (String) -> String?) {
        self.executable = executable
        self.executableDigest = executableDigest
        self.argv = argv
        self.user = user
        self.agent = agent
        self.cwd = cwd
        self.environment = environment
    }

    public init(intent: Intent, environment: @escaping @Sendable (String) -> String?) {
        self.init(executable: intent.executable, executableDigest: intent.executableDigest, argv: intent.argv,
                  user: intent.user, agent: intent.agent, cwd: intent.cwd, environment: environment)
    }
}

/// Which rule applies to a command: the last matching rule wins (doas), and the default applies
/// when none matches. Matching is on argv as a list, never on a joined shell string.
public struct PolicyDecision: Sendable, Equatable {
    public var action: Policy.Action
    public var options: Policy.Options
    /// `line N` of the matching rule, or `default`.
    public var rule: String
    /// The matching rule's line, nil for the default.
    public var line: Int?

    public var requirements: [Policy.Requirement] {
        if case .require(let r) = action { return r }
        return []
    }
}

extension Policy {
    public func decide(_ context: MatchContext) -> PolicyDecision {
        let basename = context.executable.split(separator: "/").last.map(String.init) ?? context.executable
        for rule in rules.reversed() where rule.matchesCommand(executable: context.executable, basename: basename, argv: context.argv)
            && rule.conditions.hold(in: context) {
            return PolicyDecision(action: rule.action, options: rule.options, rule: rule.label, line: rule.line)
        }
        return PolicyDecision(action: defaultAction, options: defaultOptions,
                              rule: defaultLine.map { "default (line \($0))" } ?? "default", line: nil)
    }

    /// For tests and tools that only have argv: no conditions beyond the pattern can match.
    public func decide(executable: String, argv: [String], user: String = "", agent: String = "", cwd: String = "/",
                       digest: [UInt8] = [], environment: [String: String] = [:]) -> PolicyDecision {
        decide(MatchContext(executable: executable, executableDigest: digest, argv: argv, user: user, agent: agent, cwd: cwd,
                            environment: { environment[$0] }))
    }
}

extension Policy.Rule {
    /// `executable` is the absolute path the command resolved to; a bare-name pattern matches its
    /// basename, an absolute pattern the whole path. argv[0] itself is not trusted for this.
    public func matches(_ c: MatchContext) -> Bool {
        let base = c.executable.split(separator: "/").last.map(String.init) ?? c.executable
        return matchesCommand(executable: c.executable, basename: base, argv: c.argv) && conditions.hold(in: c)
    }

    func matchesCommand(executable path: String, basename: String, argv: [String]) -> Bool {
        guard Glob.matches(self.executable, self.executable.hasPrefix("/") ? path : basename) else { return false }
        let args = argv.dropFirst()
        var i = args.startIndex
        for pattern in arguments {
            switch pattern {
            case .rest:
                return true
            case .glob(let g):
                guard i < args.endIndex, Glob.matches(g, args[i]) else { return false }
                i += 1
            }
        }
        return i == args.endIndex
    }
}

extension Policy.Conditions {
    public func hold(in c: MatchContext) -> Bool {
        if let pin = executableDigest, pin != c.executableDigest { return false }
        if !users.isEmpty && !users.contains(where: { Glob.matches($0, c.user) }) { return false }
        switch agent {
        case .any: break
        case .none: if !c.agent.isEmpty { return false }
        case .matching(let g): if c.agent.isEmpty || !Glob.matches(g, c.agent) { return false }
        }
        for (name, value) in environment {
            guard let v = c.environment(name), Glob.matches(value, v) else { return false }
        }
        if !cwdPrefixes.isEmpty && !cwdPrefixes.contains(where: { c.cwd == $0 || $0 == "/" || c.cwd.hasPrefix($0 + "/") }) {
            return false
        }
        return true
    }
}
