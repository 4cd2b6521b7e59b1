import GateCore
@testable import GateServer
import GateStore
import GateViews
import GateWire
import Testing

/// What a requester controls (argv, user, host, reason, ticket, approver comments) reaches Slack
/// only escaped: Slack expands `<!channel>`, `<!here>` and `<URL|label>` in the notification line
/// as in the blocks (issue 18, finding 8: the top-level `text` went out raw).
@Suite struct WebhookPayloadTests {
    static let hostile = ["<!channel>", "<!here>", "<http://evil.example/login|Approve here: https://gate.internal/r/OK>", "a&b", "`x`"]

    static func record() -> RequestRecord {
        let intent = Intent(argv: ["/bin/echo"] + hostile, executable: "/bin/echo", executableDigest: Array(repeating: 7, count: 32),
                            cwd: "/", user: "<!here>", uid: 1000, agent: "<!channel>", host: "h<@U123>")
        var r = RequestRecord(id: RequestID("7K3FQ2XZ")!, createdMicros: 1, intent: intent)
        r.reason = "<!channel> urgent"
        r.ticket = "<http://evil.example|CHG-1>"
        return r
    }

    /// Every string Slack will render, wherever it sits in the payload.
    static func strings(_ j: JSON) -> [String] {
        switch j {
        case .string(let s): return [s]
        case .array(let a): return a.flatMap(strings)
        case .object(let o): return o.flatMap { strings($0.1) }
        default: return []
        }
    }

    /// Angle brackets only where gate itself writes a link to its own page.
    static func unescaped(_ text: String) -> [Substring] {
        text.split(separator: "<", omittingEmptySubsequences: false).dropFirst().filter { !$0.hasPrefix("https://gate.example/r/") }
    }

    @Test func everyFieldOfTheSlackMessageIsEscaped() {
        let payload = WebhookPayloads.createdSlack(Self.record(), publicURL: "https://gate.example")
        for s in Self.strings(payload) {
            #expect(Self.unescaped(s).isEmpty, "raw mrkdwn reaches Slack: \(s)")
        }
        #expect(payload["text"]?.stringValue == "gate: &lt;!here&gt; (agent &lt;!channel&gt;) on h&lt;@U123&gt; requests approval for /bin/echo '&lt;!channel&gt;' '&lt;!here&gt;' '&lt;http://evil.example/login|Approve here: https://gate.internal/r/OK&gt;' 'a&amp;b' ''x'' (7K3FQ2XZ)",
                "\(payload["text"]?.stringValue ?? "")")
    }

    /// Slack reads scalars: `<` followed by a combining mark is one Character to Swift but still a
    /// `<` to Slack, so escaping is by scalar (a Character-wise replacement left these raw).
    @Test func escapingIsByScalarNotByCharacter() {
        for mark in ["\u{301}", "\u{20E3}", "\u{200D}", "\u{FE0F}", "\u{1F3FD}"] {
            let hostile = "<\(mark)!channel> `\(mark) &\(mark)amp; >\(mark)"
            let escaped = WebhookPayloads.mrkdwn(hostile)
            let scalars = escaped.unicodeScalars
            #expect(!scalars.contains("<") && !scalars.contains(">") && !scalars.contains("`"), "\(escaped.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(escaped.unicodeScalars.filter { $0 == "&" }.count == 4 && !escaped.contains("&\(mark)amp;"), "\(escaped)")
        }
    }
}
