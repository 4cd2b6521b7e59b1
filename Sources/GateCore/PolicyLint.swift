/// Warnings for `gate policy check`: things that parse but are probably not what the author
/// meant. Errors stop parsing (PolicyParser); warnings never do.
public struct PolicyWarning: Sendable, Equatable {
    public var line: Int
    public var message: String
}

extension Policy {
    /// Executables that run whatever their arguments say: allowing them with `...` allows anything.
    static let reinterpreters: Set<String> = ["sh", "bash", "zsh", "dash", "ksh", "fish", "env", "sudo", "doas", "su", "xargs",
                                              "python", "python3", "perl", "ruby", "node", "nohup", "timeout", "nice", "find", "awk"]

    public func warnings() -> [PolicyWarning] {
        var out: [PolicyWarning] = []
        for (i, rule) in rules.enumerated() {
            if let later = rules[(i + 1)...].first(where: { $0.conditions.isEmpty && $0.covers(rule) }) {
                out.append(.init(line: rule.line, message: "rule is unreachable: line \(later.line) also matches everything it matches, and the last match wins"))
            }
            if case .allow = rule.action, rule.arguments.contains(.rest),
               Self.reinterpreters.contains(rule.executable.split(separator: "/").last.map(String.init) ?? rule.executable) {
                out.append(.init(line: rule.line, message: "allows '\(rule.executable)' with any arguments: that runs any command without approval"))
            }
            if rule.options.breakGlass && rule.conditions.users.isEmpty {
                out.append(.init(line: rule.line, message: "break-glass is open to every requester; consider user="))
            }
            if rule.options.breakGlass, let stricter = rules[..<i].last(where: { rule.covers($0) && $0.isStricter(than: rule) != nil }) {
                out.append(.init(line: rule.line, message: "break-glass rule comes after line \(stricter.line), which is stricter (\(stricter.isStricter(than: rule)!)): where both match, this line wins; put it before line \(stricter.line) to keep that rule in force"))
            }
            for case .glob(let g) in rule.arguments where g.contains("/") && (g.contains("*") || g.contains("?")) {
                out.append(.init(line: rule.line, message: "argument pattern '\(g)': in arguments '*' also matches '/' and '..' (\(g.prefix { $0 != "*" && $0 != "?" })../../etc/shadow matches it); gate cannot canonicalise arguments"))
                break
            }
            for name in rule.options.keepEnvironment + rule.options.bindEnvironment where EnvironmentReset.isDangerous(name) {
                out.append(.init(line: rule.line, message: "passes \(name) to the command: it can make the command load or run other code (bound and shown, but consider whether it must)"))
            }
            if rule.executable.hasPrefix("/"), let star = rule.executable.firstIndex(where: { $0 == "*" || $0 == "?" }),
               rule.executable[star...].contains("/") {
                out.append(.init(line: rule.line, message: "'\(rule.executable)' has a wildcard in a directory: any directory there that someone can create or write is matched"))
            }
            if case .require = rule.action {} else if !rule.options.contexts.isEmpty || !rule.options.bindFiles.isEmpty || !rule.options.bindEnvironment.isEmpty {
                out.append(.init(line: rule.line, message: "context= and bind= only act on 'require' rules (nobody reviews the others)"))
            }
        }
        for (name, line) in zip(environmentAllowlist, environmentAllowlistLines)
        where EnvironmentReset.isDangerous(name.hasSuffix("*") ? String(name.dropLast()) : name) {
            out.append(.init(line: line, message: "env \(name): variables that inject code (\(name)) are never kept by 'env'; a rule that needs one names it with keep-env="))
        }
        var used = Set<String>()
        for action in rules.map(\.action) + [defaultAction] {
            if case .require(let rs) = action { for r in rs { used.insert(r.group ?? "*") } }
        }
        for (name, line) in groupLines.sorted(by: { $0.value < $1.value }) where !used.contains(name) {
            out.append(.init(line: line, message: "group '\(name)' is not used by any rule"))
        }
        let usedContexts = Set((rules.flatMap(\.options.contexts)) + defaultOptions.contexts)
        for p in contextProviders.values.sorted(by: { $0.line < $1.line }) where !usedContexts.contains(p.name) {
            out.append(.init(line: p.line, message: "context '\(p.name)' is not used by any rule (add context=\(p.name) to one)"))
        }
        for p in contextProviders.values.sorted(by: { $0.line < $1.line }) where !(p.argv.first ?? "").hasPrefix("/") {
            out.append(.init(line: p.line, message: "context '\(p.name)' runs '\(p.argv.first ?? "")' from the requester's PATH; an absolute path cannot be swapped"))
        }
        if !used.contains("*") {
            let grouped = Set(groups.values.flatMap { $0 })
            for a in approvers where !grouped.contains(a.name) {
                out.append(.init(line: a.line, message: "approver '\(a.name)' is in no group and no rule takes any approver: their approvals never count"))
            }
        }
        return out.sorted { $0.line < $1.line }
    }
}

extension Policy.Rule {
    /// What this rule demands that `other` does not, or nil when it demands nothing more. Used to
    /// warn when a later break-glass rule overrides a stricter one (the last match wins).
    func isStricter(than other: Policy.Rule) -> String? {
        func total(_ a: Policy.Action) -> Int {
            if case .require(let rs) = a { return rs.reduce(0) { $0 + $1.count } }
            return 0
        }
        switch (action, other.action) {
        case (.deny, .deny): return nil
        case (.deny, _): return "it denies"
        case (.require, .allow): return "it requires approval"
        case (.require, .require) where total(action) > total(other.action): return "\(total(action)) approvals, not \(total(other.action))"
        case (.require, .require): break
        default: return nil
        }
        let o = options, p = other.options
        if o.reasonRequired && !p.reasonRequired { return "it requires a reason" }
        if o.ticketRequired && !p.ticketRequired { return "it requires a ticket" }
        if !Set(o.contexts).isSubset(of: p.contexts) { return "approvers see context \(o.contexts.filter { !p.contexts.contains($0) }.joined(separator: ","))" }
        if !o.bindFiles.allSatisfy(p.bindFiles.contains) || !Set(o.bindEnvironment).isSubset(of: p.bindEnvironment) { return "it binds more" }
        if let t = o.approvalTTL, p.approvalTTL.map({ $0 > t }) ?? true { return "approvals expire sooner" }
        return nil
    }

    /// Whether this rule's command pattern matches every command `other`'s does (ignoring
    /// conditions, which the caller checks). Conservative: only literal equality of words, `*`
    /// for a whole word, and a trailing `...` count.
    func covers(_ other: Policy.Rule) -> Bool {
        guard executable == other.executable || executable == "*" else { return false }
        var k = 0
        for pattern in arguments {
            switch pattern {
            case .rest:
                return true
            case .glob(let g):
                guard k < other.arguments.count, case .glob(let o) = other.arguments[k], g == "*" || g == o else { return false }
                k += 1
            }
        }
        return k == other.arguments.count
    }
}
