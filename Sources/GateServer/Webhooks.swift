import AsyncHTTPClient
import GateCore
import GateCrypto
import GateWire
import NIOCore
import GateSystem
import GateStore

/// A configured notification target (`gate-server --webhook URL` / `--slack-webhook URL`).
public struct Webhook: Sendable {
    public enum Kind: Sendable { case json, slack }
    public var kind: Kind
    public var url: String
    /// HMAC-SHA-256 key for the `X-Gate-Signature` header; nil sends none.
    public var secret: [UInt8]?
    public init(kind: Kind, url: String, secret: [UInt8]?) { self.kind = kind; self.url = url; self.secret = secret }
}

/// Announces each new request and each decision to every webhook, in the background: delivery is retried with
/// backoff (5 attempts over ~15 s), failures are logged on stderr, and nothing here ever blocks
/// or fails a request. Payloads: SPEC.md §9.4.
struct WebhookSender: Sendable {
    let hooks: [Webhook]
    /// First retry delay; doubles each time.
    static let firstDelayMilliseconds: UInt64 = 500
    static let attempts = 5

    init(_ hooks: [Webhook]) { self.hooks = hooks }

    func announce(_ r: RequestRecord, publicURL: String) {
        send(event: "request.created", generic: Self.genericPayload(r, publicURL: publicURL),
             slack: Self.slackPayload(r, publicURL: publicURL), request: r.id.compact)
    }

    /// After each accepted decision: who decided what, and where the request now stands.
    func announceDecision(_ r: RequestRecord, _ answer: JSON, publicURL: String) {
        let approver = answer["approver"]?.stringValue ?? "?", decision = answer["decision"]?.stringValue ?? "?"
        let status = answer["status"]?.stringValue ?? "?", comment = answer["comment"]?.stringValue ?? ""
        let url = "\(publicURL)/r/\(r.id.compact)"
        let generic: JSON = .object([
            ("event", .string("request.decided")), ("id", .string(r.id.compact)), ("approver", .string(approver)),
            ("decision", .string(decision)), ("comment", .string(comment)), ("status", .string(status)),
            ("argv", .array(r.intent.argv.map(JSON.string))), ("url", .string(url)),
        ])
        let verb = decision == "approve" ? "approved" : "denied"
        var text = "gate: \(r.id.compact) \(verb) by \(Self.mrkdwn(approver))"
        if !comment.isEmpty { text += ": \(Self.mrkdwn(ShellQuote.inert(comment)))" }
        text += status == "pending" ? " (more approvals needed)" : " — request is now \(status)"
        let slack: JSON = .object([
            ("text", .string(text)),
            ("blocks", .array([Self.section("\(text)\n`\(Self.mrkdwn(ShellQuote.join(r.intent.argv)))`  ·  <\(url)|open the request>")])),
        ])
        send(event: "request.decided", generic: generic, slack: slack, request: r.id.compact)
    }

    private func send(event: String, generic: JSON, slack: JSON, request: String) {
        for hook in hooks {
            let body = hook.kind == .slack ? slack : generic
            // One id per delivery (the same on each retry), so a receiver can drop duplicates.
            let delivery = Hex.encode(SecureRandom.bytes(8))
            Task.detached { await Self.deliver(body, event: event, delivery: delivery, to: hook, request: request) }
        }
    }

    /// Never follows a redirect: a 3xx would re-POST the body, and its signature, to wherever
    /// the receiver (or whoever took over its address) points.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                   configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    /// `X-Gate-Signature: t=T,v2=HEX`, HEX = HMAC-SHA-256(secret, T "." event "." delivery "."
    /// body): the timestamp, what happened and which delivery it is are all covered, so a
    /// receiver can reject forgeries, replays and a body re-labelled as another event.
    static func signature(secret: [UInt8], time: UInt64, event: String, delivery: String, body: [UInt8]) -> String {
        let mac = HMACSHA256.mac(key: secret, message: Array("\(time).\(event).\(delivery).".utf8) + body)
        return "t=\(time),v2=\(Hex.encode(mac))"
    }

    static func deliver(_ value: JSON, event: String, delivery: String, to hook: Webhook, request: String) async {
        var bytes: [UInt8] = []
        value.serialize(into: &bytes)
        var delay = firstDelayMilliseconds
        for attempt in 1...attempts {
            var req = HTTPClientRequest(url: hook.url)
            req.method = .POST
            req.headers.add(name: "Content-Type", value: "application/json")
            req.headers.add(name: "User-Agent", value: "gate-server")
            req.headers.add(name: "X-Gate-Event", value: event)
            req.headers.add(name: "X-Gate-Delivery", value: delivery)
            if let secret = hook.secret {
                req.headers.add(name: "X-Gate-Signature",
                                value: signature(secret: secret, time: System.nowSeconds(), event: event, delivery: delivery, body: bytes))
            }
            req.body = .bytes(ByteBuffer(bytes: bytes))
            let problem: String
            do {
                let response = try await client.execute(req, timeout: .seconds(10))
                _ = try? await response.body.collect(upTo: 64 << 10)
                let code = Int(response.status.code)
                if (200..<300).contains(code) { return }
                if (300..<400).contains(code) {
                    ServerLog.line("webhook \(hook.url) for request \(request) answered HTTP \(code) (a redirect): not followed, not retried")
                    return
                }
                problem = "HTTP \(code)"
            } catch {
                problem = "\(error)"
            }
            ServerLog.line("webhook \(hook.url) for request \(request) failed (attempt \(attempt) of \(attempts)): \(problem)")
            if attempt < attempts {
                try? await Task.sleep(nanoseconds: delay * 1_000_000)
                delay *= 2
            }
        }
    }

    static func facts(_ r: RequestRecord) -> (who: String, what: String, needs: String, summary: String?) {
        let i = r.intent
        let who = ShellQuote.inert(i.user) + (i.agent.isEmpty ? "" : " (agent \(ShellQuote.inert(i.agent)))") + " on " + ShellQuote.inert(i.host)
        let summaries = (r.context["providers"]?.arrayValue ?? []).compactMap { $0["summary"]?.stringValue }
        return (who, ShellQuote.join(i.argv), r.requirements.map(\.description).joined(separator: " and "),
                summaries.isEmpty ? nil : summaries.map(ShellQuote.inert).joined(separator: "; "))
    }

    static func genericPayload(_ r: RequestRecord, publicURL: String) -> JSON {
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
            ("url", .string("\(publicURL)/r/\(r.id.compact)")),
        ])
    }

    /// Slack's incoming-webhook format: `text` (the notification line) and `blocks`. Slack
    /// mrkdwn needs &, < and > escaped; command text goes in code spans.
    static func mrkdwn(_ s: String) -> String {
        s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("`", "'")
    }

    static func section(_ text: String) -> JSON {
        .object([("type", .string("section")), ("text", .object([("type", .string("mrkdwn")), ("text", .string(text))]))])
    }

    static func slackPayload(_ r: RequestRecord, publicURL: String) -> JSON {
        let f = facts(r)
        let url = "\(publicURL)/r/\(r.id.compact)"
        var lines = ["*gate: approval requested* — request <\(url)|\(r.id.compact)>",
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
                               section("Approve: `gate approve \(r.id.compact)`  ·  <\(url)|open the request>")])),
        ])
    }
}

extension String {
    fileprivate func replacingAll(_ a: String, _ b: String) -> String {
        guard contains(a) else { return self }
        return split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
