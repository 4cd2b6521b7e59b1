import GateCore
import GateWire
import Glibc
import GateSystem
import GateStore

/// What `gate list`, `gate show` and `gate log` print, as text for people and JSON for programs.
/// Everything taken from a request passes through ShellQuote, so a hostile argv, path or reason
/// cannot move the cursor or rewrite an approver's screen.
public enum Views {
    static func time(_ micros: Int64) -> String { LedgerText.time(micros) }

    /// A pending request whose requester process is gone is abandoned: nobody is waiting for it.
    public static func isAbandoned(_ r: RequestRecord, sameHost: Bool = true) -> Bool {
        guard r.status == .pending, sameHost else { return false }
        return ProcessIdentity.hasEnded(pid: r.requesterPID, identity: r.requesterStart)
    }

    /// The status as it is, not only as recorded: a pending request nobody waits for is
    /// `abandoned`; a running one whose gate is gone (killed mid-command, so no `finished` will
    /// ever be written) is `outcome-unknown`: the command may still be running, orphaned, or may
    /// have ended; no one will record which. Not "ended": an approver must not read it as done.
    public static func status(_ r: RequestRecord) -> String {
        if isAbandoned(r) { return "abandoned" }
        if r.status == .running, ProcessIdentity.hasEnded(pid: r.requesterPID, identity: r.requesterStart) { return "outcome-unknown" }
        return r.status.rawValue
    }

    public static func listText(_ requests: [RequestRecord], header: Bool = false) -> String {
        if requests.isEmpty { return "no pending requests or reviews\n" }
        var out = header ? "ID         REQUESTED             STATUS   REQUESTER  COMMAND\n" : ""
        for r in requests {
            let who = ShellQuote.inert(r.intent.agent.isEmpty ? r.intent.user : "\(r.intent.user)/\(r.intent.agent)")
            out += "\(r.id)  \(time(r.createdMicros))  \(status(r))  \(who)@\(ShellQuote.inert(r.intent.host))  \(ShellQuote.join(r.intent.argv))\n"
        }
        return out
    }

    public static func requestJSON(_ r: RequestRecord, tokens: [String]) -> JSON {
        .object([
            ("id", .string(r.id.compact)),
            ("status", .string(status(r))),
            ("created", .string(time(r.createdMicros))),
            ("reason", .string(r.reason)),
            ("rule", .string(r.rule)),
            ("requires", .array(r.requirements.map { .string($0.description) })),
            ("policy_digest", .string(Hex.encode(r.policyDigest))),
        ] + LedgerPayload.intentFields(r.intent, digest: r.digest) + [
            ("decisions", .array(tokens.compactMap { text in
                guard let t = try? SignedToken(text: text) else { return .object([("malformed", .string(text))]) }
                return .object([("decision", .string(t.payload.decision == .approve ? "approve" : "deny")),
                                ("key_id", .string(t.payload.keyID.description)),
                                ("expires", .string(formatUTC(t.payload.expiresAt))),
                                ("comment", .string(t.payload.comment))])
            })),
        ])
    }

    /// The rule that asked for approval. A request on a gate server was decided twice, by the
    /// requesting host's policy and by the server's, whose lines may be numbered differently
    /// (the server's also registers requesters): both are named, each with whose it is.
    public static func ruleText(_ r: RequestRecord) -> String {
        guard let theirs = r.context["requester"]?["rule"]?.stringValue, !theirs.isEmpty else { return r.rule }
        return "\(ShellQuote.inert(theirs)) of the requesting host's policy (\(ShellQuote.inert(r.intent.host))), \(r.rule) of the gate server's"
    }

    public static func showText(_ r: RequestRecord, tokens: [String], policy: Policy?) -> String {
        let i = r.intent
        var out = "request     \(r.id)  (\(status(r)))\n"
        out += "command     \(ShellQuote.join(i.argv))\n"
        out += "executable  \(ShellQuote.quote(i.executable))\n"
        out += "            blake2b \(Hex.encode(i.executableDigest))\n"
        out += "cwd         \(ShellQuote.quote(i.cwd))\n"
        out += "requester   \(ShellQuote.inert(i.user)) (uid \(i.uid))\(i.agent.isEmpty ? "" : ", agent \(ShellQuote.inert(i.agent))") on \(ShellQuote.inert(i.host))\n"
        out += "requested   \(time(r.createdMicros))\n"
        out += "reason      \(r.reason.isEmpty ? "(none given)" : ShellQuote.inert(r.reason))\n"
        if !r.ticket.isEmpty { out += "ticket      \(ShellQuote.inert(r.ticket))\n" }
        out += "rule        \(ruleText(r)); needs \(r.requirements.map(\.description).joined(separator: " and "))\n"
        out += "intent      \(r.digest.hex)\n"
        // Interpreters of a #! script are bound files too; the context names which they are.
        let interpreters = Set((r.context["interpreters"]?.arrayValue ?? []).compactMap(\.stringValue))
        for f in i.boundFiles {
            let label = interpreters.contains(f.path) ? "interpreter" : "bound file "
            out += "\(label) \(ShellQuote.quote(f.path)) blake2b \(Hex.encode(f.digest))\n"
        }
        // The command's whole environment: nothing else reaches it (EnvironmentReset).
        for v in i.boundEnvironment {
            let redacted = v.value.hasPrefix("redacted:") ? "(redacted) " : ""
            out += "bound env   \(ShellQuote.inert(v.name))=\(redacted)\(ShellQuote.quote(v.value))\n"
        }
        if tokens.isEmpty { out += "decisions   none yet\n" }
        for text in tokens {
            guard let t = try? SignedToken(text: text) else { out += "decision    (malformed token)\n"; continue }
            let who = policy?.approver(forKey: t.payload.keyID)?.0.name ?? "untrusted key \(t.payload.keyID)"
            let verb = t.payload.decision == .approve ? "approved" : "denied"
            out += "decision    \(verb) by \(ShellQuote.inert(who)) until \(formatUTC(t.payload.expiresAt))"
            out += t.payload.comment.isEmpty ? "\n" : ": \(ShellQuote.inert(t.payload.comment))\n"
        }
        if r.status == .pending, let policy, !r.requirements.isEmpty {
            let p = r.progress(tokens: tokens, policy: policy, now: UInt64(max(0, System.nowMicros() / 1_000_000)))
            out += "approvals   \(ShellQuote.inert(p.summary))" + (p.missing.isEmpty ? "; enough: waiting for the requester to run it\n" : "; still needs \(p.missing.joined(separator: " and "))\n")
        }
        return out
    }
}
