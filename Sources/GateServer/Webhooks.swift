import AsyncHTTPClient
import GateCore
import GateCrypto
import GateWire
import NIOCore
import GateSystem
import GateStore
import GateViews

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
        send(event: "request.created", generic: WebhookPayloads.created(r, publicURL: publicURL),
             slack: WebhookPayloads.createdSlack(r, publicURL: publicURL), request: r.id.compact)
    }

    /// After each accepted decision: who decided what, and where the request now stands.
    func announceDecision(_ r: RequestRecord, _ answer: JSON, publicURL: String) {
        let (generic, slack) = WebhookPayloads.decided(r, answer, publicURL: publicURL)
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
                                value: WebhookSignature.header(secret: secret, time: System.nowSeconds(), event: event, delivery: delivery, body: bytes))
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
}
