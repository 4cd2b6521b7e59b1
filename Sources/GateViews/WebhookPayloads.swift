import GateCore
import GateStore
import GateSystem
import GateWire

/// What a webhook receives (SPEC.md §9.4), from a gate server or, in local mode, from the
/// requester's own gate: the same JSON and Slack payloads either way. `publicURL` nil (local
/// mode): no page to link, so `url` is null and Slack gets no link.
public enum WebhookPayloads {
    public static func facts(_ r: RequestRecord) -> (who: String, what: String, needs: String, summary: String?) {
        let i = r.intent
        let who = ShellQuote.inert(i.user) + (i.agent.isEmpty ? "" : " (agent \(ShellQuote.inert(i.agent)))") + " on " + ShellQuote.inert(i.host)
        let summaries = (r.context["providers"]?.arrayValue ?? []).compactMap { $0["summary"]?.stringValue }
        return (who, ShellQuote.join(i.argv), r.requirements.map(\.description).joined(separator: " and "),
                summaries.isEmpty ? nil : summaries.map(ShellQuote.inert).joined(separator: "; "))
    }

    public static func created(_ r: RequestRecord, publicURL: String?) -> JSON {
        let i = r.intent
        let f = facts(r)
        return .object([
            ("event", .string("request.created")),
            ("id", .string(r.id.compact)),
            ("user", .string(i.user)), ("agent", .string(i.agent)), ("host", .string(i.host)),
            ("argv", .array(i.argv.map(JSON.string))), ("cwd", .string(i.cwd)),
            ("intent_digest", .string(r.digest.hex)),
            ("rule", .string(r.rule)), ("requires", .string(f.needs)),
            ("reason", .string(r.reason)), ("ticket", .string(r.ticket)),
            ("plan_summary", f.summary.map(JSON.string) ?? .null),
            ("approve_command", .string("gate approve \(r.id.compact)")),
            ("url", publicURL.map { .string("\($0)/r/\(r.id.compact)") } ?? .null),
        ])
    }

    /// Slack's incoming-webhook format: `text` (the notification line) and `blocks`. Slack
    /// mrkdwn needs &, < and > escaped; command text goes in code spans.
    public static func mrkdwn(_ s: String) -> String {
        // By scalars: Slack reads `<` + U+0301 as a `<` (Character-wise it stayed unescaped).
        var out = TextSearch.replacingScalar("&", with: "&amp;", in: s)
        out = TextSearch.replacingScalar("<", with: "&lt;", in: out)
        out = TextSearch.replacingScalar(">", with: "&gt;", in: out)
        return TextSearch.replacingScalar("`", with: "'", in: out)
    }

    public static func section(_ text: String) -> JSON {
        .object([("type", .string("section")), ("text", .object([("type", .string("mrkdwn")), ("text", .string(text))]))])
    }

    public static func createdSlack(_ r: RequestRecord, publicURL: String?) -> JSON {
        let f = facts(r)
        let url = publicURL.map { "\($0)/r/\(r.id.compact)" }
        var lines = [url.map { "*gate: approval requested* — request <\($0)|\(r.id.compact)>" } ?? "*gate: approval requested* — request \(r.id.compact) on \(mrkdwn(ShellQuote.inert(r.intent.host)))",
                     "*Who:* \(mrkdwn(f.who))",
                     "*What:* `\(mrkdwn(f.what))`",
                     "*Rule:* \(mrkdwn(r.rule)); needs \(mrkdwn(f.needs))"]
        if let s = f.summary { lines.append("*Plan:* \(mrkdwn(s))") }
        if !r.reason.isEmpty { lines.append("*Reason:* \(mrkdwn(ShellQuote.inert(r.reason)))") }
        if !r.ticket.isEmpty { lines.append("*Ticket:* \(mrkdwn(ShellQuote.inert(r.ticket)))") }
        return .object([
            // The notification line is mrkdwn too (Slack shows it in notifications and expands
            // <!channel> or <URL|label> in it): every field escaped, as in the blocks.
            ("text", .string("gate: \(mrkdwn(f.who)) requests approval for \(mrkdwn(f.what)) (\(r.id.compact))")),
            ("blocks", .array([section(lines.joined(separator: "\n")),
                               section("Approve: `gate approve \(r.id.compact)`" + (url.map { "  ·  <\($0)|open the request>" } ?? ""))])),
        ])
    }

    /// `request.decided`: who decided what, and where the request now stands.
    public static func decided(_ r: RequestRecord, _ answer: JSON, publicURL: String?) -> (generic: JSON, slack: JSON) {
        let approver = answer["approver"]?.stringValue ?? "?", decision = answer["decision"]?.stringValue ?? "?"
        let status = answer["status"]?.stringValue ?? "?", comment = answer["comment"]?.stringValue ?? ""
        let url = publicURL.map { "\($0)/r/\(r.id.compact)" }
        let generic: JSON = .object([
            ("event", .string("request.decided")), ("id", .string(r.id.compact)), ("approver", .string(approver)),
            ("decision", .string(decision)), ("comment", .string(comment)), ("status", .string(status)),
            ("argv", .array(r.intent.argv.map(JSON.string))), ("url", url.map(JSON.string) ?? .null),
        ])
        let verb = decision == "approve" ? "approved" : "denied"
        var text = "gate: \(r.id.compact) \(verb) by \(Self.mrkdwn(approver))"
        if !comment.isEmpty { text += ": \(Self.mrkdwn(ShellQuote.inert(comment)))" }
        text += status == "pending" ? " (more approvals needed)" : " — request is now \(status)"
        let slack: JSON = .object([
            ("text", .string(text)),
            ("blocks", .array([Self.section("\(text)\n`\(Self.mrkdwn(ShellQuote.join(r.intent.argv)))`" + (url.map { "  ·  <\($0)|open the request>" } ?? ""))])),
        ])
        return (generic, slack)
    }
}
