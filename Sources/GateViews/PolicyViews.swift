import GateCore
import GateWire
import GateSystem

/// What `gate policy check` and `gate policy explain` print.
public enum PolicyViews {
    public static func checkJSON(_ p: Policy, path: String) -> JSON {
        .object([
            ("policy", .string(path)),
            ("ok", .bool(true)),
            ("digest", .string(Hex.encode(p.digest))),
            ("approvers", .int(Int64(p.approvers.count))),
            ("groups", .int(Int64(p.groups.count))),
            ("rules", .int(Int64(p.rules.count))),
            ("warnings", .array(p.warnings().map { .object([("line", .int(Int64($0.line))), ("message", .string($0.message))]) })),
        ])
    }

    public static func checkText(_ p: Policy, path: String) -> String {
        var out = ""
        for w in p.warnings() { out += "\(path):\(w.line): warning: \(w.message)\n" }
        out += "policy ok: \(path): \(p.approvers.count) approver\(p.approvers.count == 1 ? "" : "s"), \(p.groups.count) group\(p.groups.count == 1 ? "" : "s"), \(p.rules.count) rule\(p.rules.count == 1 ? "" : "s")"
        let defaultText: String
        switch p.defaultAction {
        case .allow: defaultText = "allow"
        case .deny: defaultText = "deny"
        case .require(let r): defaultText = "require " + r.map(\.description).joined(separator: " and ")
        }
        return out + "; unmatched commands: \(defaultText)\n"
    }

    public struct Explanation {
        public var context: MatchContext
        public var decision: PolicyDecision
        /// Earlier rules that match too but are overridden (the last match wins).
        public var overridden: [Policy.Rule]
        public var requirementsDetail: [String]
    }

    public static func explain(_ p: Policy, _ c: MatchContext) -> Explanation {
        let decision = p.decide(c)
        let overridden = p.rules.filter { $0.matches(c) && $0.line != decision.line }
        var detail: [String] = []
        for r in decision.requirements {
            let names = p.eligibleApprovers(for: r)
            let barred = names.filter { p.approver(named: $0)?.user == c.user }
            var line = "\(r.description): \(names.joined(separator: ", "))"
            if !barred.isEmpty { line += " (\(barred.joined(separator: ", ")) would not count: the requester)" }
            detail.append(line)
        }
        return Explanation(context: c, decision: decision, overridden: overridden, requirementsDetail: detail)
    }

    static func verdict(_ d: PolicyDecision) -> String {
        switch d.action {
        case .allow: return "allow: runs without approval (recorded)"
        case .deny(let m): return "deny" + (m.map { ": \($0)" } ?? "")
        case .require(let r): return "require " + r.map(\.description).joined(separator: " and ") + " (distinct people)"
        }
    }

    static func optionsText(_ o: Policy.Options, argv: [String]) -> [String] {
        var out: [String] = []
        if o.reasonRequired { out.append("a reason is required (--reason TEXT)") }
        if o.ticketRequired { out.append("a ticket is required (--ticket ID)") }
        for c in o.contexts { out.append("context \(c): its output is shown to approvers and bound") }
        for b in o.bindFiles { out.append("binds \(bindText(b, argv: argv)): its digest is signed; a change refuses the run") }
        for n in o.bindEnvironment { out.append("binds $\(n): its value is signed") }
        for n in o.keepEnvironment { out.append("keeps $\(n) for the command (shown and bound)") }
        if let u = o.runAs { out.append("runs as \(u) (through the gate daemon)") }
        if let t = o.requestTTL { out.append("a pending request expires after \(GateDuration(seconds: t))") }
        if let t = o.approvalTTL { out.append("approvals are valid at most \(GateDuration(seconds: t))") }
        if o.breakGlass { out.append("break-glass permitted") }
        return out
    }

    static func bindText(_ b: Policy.BindTarget, argv: [String]) -> String {
        switch b {
        case .argument(let n): return "{\(n)}" + (n < argv.count ? " (\(ShellQuote.quote(argv[n])))" : " (missing from this command: it will be refused)")
        case .path(let p): return ShellQuote.quote(p)
        }
    }

    static func bindJSON(_ b: Policy.BindTarget, argv: [String]) -> JSON {
        switch b {
        case .argument(let n): return .object([("argument", .int(Int64(n))), ("path", n < argv.count ? .string(argv[n]) : .null)])
        case .path(let p): return .object([("argument", .null), ("path", .string(p))])
        }
    }

    public static func explainText(_ e: Explanation, policy: Policy) -> String {
        let c = e.context
        var out = "command     \(ShellQuote.join(c.argv))\n"
        out += "executable  \(ShellQuote.quote(c.executable)) (blake2b \(Hex.encode(c.executableDigest).prefix(16))…)\n"
        out += "requester   \(ShellQuote.inert(c.user))\(c.agent.isEmpty ? "" : " (agent \(ShellQuote.inert(c.agent)))") in \(ShellQuote.quote(c.cwd))\n"
        if let line = e.decision.line {
            out += "matches     line \(line): \(ShellQuote.inert(policy.sourceLine(line)))\n"
        } else {
            out += "matches     no rule; the default applies (\(e.decision.rule))\n"
        }
        for r in e.overridden { out += "overrides   line \(r.line): \(ShellQuote.inert(policy.sourceLine(r.line)))\n" }
        out += "decision    \(verdict(e.decision))\n"
        for d in e.requirementsDetail { out += "approvers   \(d)\n" }
        for o in optionsText(e.decision.options, argv: c.argv) { out += "option      \(o)\n" }
        return out
    }

    public static func explainJSON(_ e: Explanation) -> JSON {
        let action: String
        switch e.decision.action {
        case .allow: action = "allow"
        case .deny: action = "deny"
        case .require: action = "require"
        }
        var message: JSON = .null
        if case .deny(let m) = e.decision.action, let m { message = .string(m) }
        return .object([
            ("argv", .array(e.context.argv.map(JSON.string))),
            ("executable", .string(e.context.executable)),
            ("executable_digest", .string(Hex.encode(e.context.executableDigest))),
            ("user", .string(e.context.user)),
            ("agent", .string(e.context.agent)),
            ("cwd", .string(e.context.cwd)),
            ("rule", .string(e.decision.rule)),
            ("line", e.decision.line.map { .int(Int64($0)) } ?? .null),
            ("overridden_lines", .array(e.overridden.map { .int(Int64($0.line)) })),
            ("action", .string(action)),
            ("message", message),
            ("requires", .array(e.decision.requirements.map { .string($0.description) })),
            ("reason_required", .bool(e.decision.options.reasonRequired)),
            ("request_ttl_seconds", e.decision.options.requestTTL.map { .int(Int64($0)) } ?? .null),
            ("approval_ttl_seconds", e.decision.options.approvalTTL.map { .int(Int64($0)) } ?? .null),
            ("break_glass", .bool(e.decision.options.breakGlass)),
            ("ticket_required", .bool(e.decision.options.ticketRequired)),
            ("contexts", .array(e.decision.options.contexts.map(JSON.string))),
            ("bind_files", .array(e.decision.options.bindFiles.map { bindJSON($0, argv: e.context.argv) })),
            ("bind_env", .array(e.decision.options.bindEnvironment.map(JSON.string))),
            ("keep_env", .array(e.decision.options.keepEnvironment.map(JSON.string))),
            ("run_as", e.decision.options.runAs.map(JSON.string) ?? .null),
        ])
    }
}
