/// Which rule applies to a command: the last matching rule wins (doas), and the default applies
/// when none matches. Matching is on argv as a list, never on a joined shell string.
public struct PolicyDecision: Sendable, Equatable {
    public var action: Policy.Action
    /// `line N` of the matching rule, or `default`.
    public var rule: String
}

extension Policy {
    public func decide(executable: String, argv: [String]) -> PolicyDecision {
        for rule in rules.reversed() where rule.matches(executable: executable, argv: argv) {
            return PolicyDecision(action: rule.action, rule: rule.label)
        }
        return PolicyDecision(action: defaultAction, rule: defaultLine.map { "default (line \($0))" } ?? "default")
    }
}

extension Policy.Rule {
    /// `executable` is the absolute path the command resolved to; a bare-name pattern matches its
    /// basename, an absolute pattern the whole path. argv[0] itself is not trusted for this.
    public func matches(executable path: String, argv: [String]) -> Bool {
        if self.executable.hasPrefix("/") {
            guard Glob.matches(self.executable, path) else { return false }
        } else {
            let base = path.split(separator: "/").last.map(String.init) ?? path
            guard Glob.matches(self.executable, base) else { return false }
        }
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
