import GateWire

/// What a rule is matched against: the command as it will run and who asks, where.
public struct MatchContext: Sendable {
    /// The canonical path of the file exec will run (symlinks resolved, no `.`, `..` or `//`).
    public var executable: String
    /// The other paths that are this executable on the way to it through trusted directories:
    /// each link followed from the spelled path whose (canonical) directory is on the policy's
    /// trusted path, and the canonical path itself when its directory is (`/usr/bin/sh` →
    /// `/usr/bin/dash` gives both). Bare-name patterns match only these paths' file names, so
    /// an executable reached through no trusted directory matches no bare name (a file named
    /// `ls` in a directory the requester put on PATH is not `ls`); absolute patterns match these
    /// and the canonical path.
    public var trustedAliases: [String]
    public var executableDigest: [UInt8]
    public var argv: [String]
    /// The requester's unix user; an agent acting for the user is the user.
    public var user: String
    public var agent: String
    public var cwd: String
    public var environment: @Sendable (String) -> String?

    public init(executable: String, trustedAliases: [String], executableDigest: [UInt8], argv: [String], user: String,
                agent: String, cwd: String, environment: @escaping @Sendable (String) -> String?) {
        self.executable = executable
        self.trustedAliases = trustedAliases
        self.executableDigest = executableDigest
        self.argv = argv
        self.user = user
        self.agent = agent
        self.cwd = cwd
        self.environment = environment
    }

    /// What `gate -- CMD` matches: the captured intent and the executable's trusted names.
    public init(intent: Intent, trustedAliases: [String], environment: @escaping @Sendable (String) -> String?) {
        executable = intent.executable
        self.trustedAliases = trustedAliases
        executableDigest = intent.executableDigest
        argv = intent.argv
        user = intent.user
        agent = intent.agent
        cwd = intent.cwd
        self.environment = environment
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
        for rule in rules.reversed() where rule.matches(context) {
            return PolicyDecision(action: rule.action, options: rule.options, rule: rule.label, line: rule.line)
        }
        return PolicyDecision(action: defaultAction, options: defaultOptions,
                              rule: defaultLine.map { "default (line \($0))" } ?? "default", line: nil)
    }

    /// For tests and tools that only have a canonical path and argv. `aliases` defaults to the
    /// path itself when its directory is on the trusted path (what a plain file there gets).
    public func decide(executable: String, argv: [String], aliases: [String]? = nil, user: String = "", agent: String = "",
                       cwd: String = "/", digest: [UInt8] = [], environment: [String: String] = [:]) -> PolicyDecision {
        let trusted = trustedPath.contains(Self.directory(of: executable)) ? [executable] : []
        return decide(MatchContext(executable: executable, trustedAliases: aliases ?? trusted, executableDigest: digest,
                                   argv: argv, user: user, agent: agent, cwd: cwd, environment: { environment[$0] }))
    }

    /// Absolute patterns are read as paths on this host: the literal directory part of each
    /// (before any wildcard) is replaced by what `resolve` (realpath) makes of it, so that
    /// `/bin/echo` names the file that `/usr/bin/echo` is on a merged-/usr system, just as the
    /// executable's own path is canonical. A directory that does not exist stays as written.
    public mutating func resolvePatternDirectories(_ resolve: (String) -> String?) {
        var cache: [(dir: String, real: String)] = []  // policies name few directories
        for i in rules.indices {
            let pattern = rules[i].executable
            let bytes = Array(pattern.utf8)
            guard bytes.first == UInt8(ascii: "/") else { continue }
            let literalEnd = bytes.firstIndex { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "\\") } ?? bytes.count
            guard let slash = bytes[..<literalEnd].lastIndex(of: UInt8(ascii: "/")), slash > 0 else { continue }
            let dir = String(decoding: bytes[..<slash], as: UTF8.self)
            let real: String
            // Compared as bytes: String's == holds canonically equivalent spellings equal.
            if let hit = cache.first(where: { $0.dir.utf8.elementsEqual(dir.utf8) }) { real = hit.real } else { real = resolve(dir) ?? dir; cache.append((dir, real)) }
            if !real.utf8.elementsEqual(dir.utf8) { rules[i].executable = (real == "/" ? "" : real) + String(decoding: bytes[slash...], as: UTF8.self) }
        }
    }

    /// By bytes, at the last `/` byte, whatever Character it is part of (Paths in GateSystem).
    static func directory(of path: String) -> String {
        let u = path.utf8
        guard let slash = u.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return slash == u.startIndex ? "/" : String(decoding: u[..<slash], as: UTF8.self)
    }

    static func fileName(of path: String) -> Substring {
        let u = path.utf8
        guard let slash = u.lastIndex(of: UInt8(ascii: "/")) else { return path[...] }
        // The index after a `/` byte is a scalar boundary, so the slice holds exactly the bytes
        // after it (a String slice rounds only to scalars), without copying: this runs for
        // every rule and alias.
        return path[u.index(after: slash)...]
    }
}

extension Policy.Rule {
    /// An absolute pattern matches the canonical path of what will run (`*` stops at `/`) or a
    /// trusted alias; a bare-name pattern the file name of a trusted alias. A rule that restricts
    /// (deny, require) matches under any of them: a file is what it is, whatever it is called.
    /// An `allow` matches only under the name the program will see (argv[0]'s file name), because
    /// programs such as rbash, view or busybox act by that name: `allow -- rbash` must not let
    /// /usr/bin/rbash run called `bash`. argv[0] as typed never widens a match.
    public func matches(_ c: MatchContext) -> Bool {
        matchesCommand(executable: c.executable, aliases: c.trustedAliases, argv: c.argv) && conditions.hold(in: c)
    }

    func matchesCommand(executable path: String, aliases: [String], argv: [String]) -> Bool {
        let called: Substring? = action == .allow ? Policy.fileName(of: argv.first ?? "") : nil
        // Bytes: the program compares its argv[0] byte for byte, not as Unicode text.
        func named(_ p: String) -> Bool { called.map { Policy.fileName(of: p).utf8.elementsEqual($0.utf8) } ?? true }
        if self.executable.utf8.first == UInt8(ascii: "/") {
            guard (named(path) && Glob.matches(self.executable, path, pathname: true))
                || aliases.contains(where: { named($0) && Glob.matches(self.executable, $0, pathname: true) }) else { return false }
        } else {
            guard aliases.contains(where: { named($0) && Glob.matches(self.executable, String(Policy.fileName(of: $0))) }) else { return false }
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
        // Bytes, as Glob's literals: String == and hasPrefix compare canonically equivalent texts.
        if !cwdPrefixes.isEmpty && !cwdPrefixes.contains(where: {
            c.cwd.utf8.elementsEqual($0.utf8) || $0 == "/" || c.cwd.utf8.starts(with: ($0 + "/").utf8)
        }) {
            return false
        }
        return true
    }
}
