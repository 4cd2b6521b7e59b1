import GateStore
import GateWire
import ServiceLifecycle
import GateSystem

/// The server's state: the Broker (SQLite, used by one task at a time: the actor is that
/// guarantee), the requesters waiting in long-polls, and webhook delivery.
actor ServerState {
    let broker: Broker
    let webhooks: WebhookSender
    /// Where people and messages link to: `--public-url`, else the address this server bound.
    private(set) var publicURL: String
    private let publicURLConfigured: Bool
    private var waiters: [String: [UInt64: CheckedContinuation<Void, Never>]] = [:]
    private var nextWaiter: UInt64 = 0

    init(home: String, webhooks: [Webhook], publicURL: String, publicURLConfigured: Bool = true, maxPending: Int = 20,
         context: Broker.ContextLimits = .init(), copies: Broker.CopyLimits = .init()) throws {
        broker = try Broker(home: home, maxPendingPerRequester: maxPending, contextLimits: context, copyLimits: copies)
        self.webhooks = WebhookSender(webhooks)
        self.publicURL = publicURL
        self.publicURLConfigured = publicURLConfigured
    }

    /// Without `--public-url`, links name the address actually bound (with port 0 the system
    /// chose it, and `http://HOST:0` reaches nothing).
    func listening(host: String, port: Int) {
        guard !publicURLConfigured else { return }
        publicURL = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The URL the request page tells approvers to use. A server listening on every address
    /// (0.0.0.0, ::) without `--public-url` has no one name: the page names the host the viewer
    /// reached it by (the Host header, when it is a plain host[:port]).
    func pageURL(hostHeader: String?) -> String {
        guard !publicURLConfigured, publicURL.hasPrefix("http://0.0.0.0:") || publicURL.hasPrefix("http://[::]:"),
              let h = hostHeader, !h.isEmpty, h.utf8.count <= 255,
              h.unicodeScalars.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9")
                  || "-.:[]".unicodeScalars.contains($0) }) else { return publicURL }
        return "http://\(h)"
    }

    func health() throws -> JSON {
        let store = broker.store
        return .object([
            ("status", .string("ok")),
            ("ledger_id", .string(try store.ledgerID())),
            ("ledger_entries", .int(try store.ledgerCount())),
            ("newest_checkpoint", try store.newestCheckpoint().map { .int($0.body.size) } ?? .null),
            ("waiting", .int(Int64(waiters.values.reduce(0) { $0 + $1.count }))),
            // Writes refused with nothing to attribute them to (the operator's log has them).
            ("unattributed_refusals", .int(broker.unattributed.total)),
        ])
    }

    func list(all: Bool, after cursor: Store.ListCursor?) throws -> JSON { try broker.list(all: all, after: cursor) }
    func get(_ id: String) throws -> JSON { try broker.get(id).1 }

    func preauthorize(_ header: String) throws -> SignedStatement { try broker.preauthorize(header) }

    func create(_ body: [UInt8], announced: SignedStatement?) throws -> JSON {
        let (record, answer) = try broker.create(body, announced: announced)
        ServerLog.line("requested \(record.id) by \(record.context["requester"]?["name"]?.stringValue ?? "?") (\(record.intent.user)@\(record.intent.host)): \(ShellQuote.join(record.intent.argv))")
        webhooks.announce(record, publicURL: publicURL)
        return answer
    }

    func decide(_ id: String, _ body: [UInt8]) throws -> JSON {
        let (record, answer) = try broker.decide(id, body)
        ServerLog.line("decision on \(record.id) by \(answer["approver"]?.stringValue ?? "?"): now \(answer["status"]?.stringValue ?? "?")")
        wakeAll(record.id.compact)
        webhooks.announceDecision(record, answer, publicURL: publicURL)
        return answer
    }

    func cancel(_ id: String, _ body: [UInt8]) throws -> JSON {
        let answer = try broker.cancel(id, body)
        if let id = answer["id"]?.stringValue {
            ServerLog.line("withdrawn \(RequestID(id)?.description ?? id) by its requester")
            wakeAll(id)
        }
        return answer
    }

    func receiveCheckpoint(_ body: [UInt8], announced: SignedStatement?) throws -> JSON { try broker.receiveCheckpoint(body, announced: announced) }
    func preauthorizeCheckpoint(_ header: String) throws -> SignedStatement { try broker.preauthorize(header, action: .checkpoint) }
    func checkpoints(ledger: String, all: Bool) throws -> JSON { all ? try broker.allCopies(ledger: ledger) : try broker.checkpoints(ledger: ledger) }

    /// Long-poll: answers at once if the request has moved past what the requester has seen
    /// (more tokens, or no longer pending), else when a decision arrives or `timeout` passes.
    func wait(_ idText: String, seen: Int, timeout: Double) async throws -> JSON {
        guard let id = RequestID(idText) else { throw Broker.Refusal(status: 400, code: .badID, message: "'\(idText.prefix(64))' is not a request id") }
        var snapshot = try broker.snapshot(id)
        if snapshot.status == .pending && snapshot.tokens.count <= seen && timeout > 0 {
            let key = nextWaiter
            nextWaiter += 1
            // A graceful stop answers every long-poll at once (the requesters poll again and
            // find the restarted server) instead of holding the shutdown for the poll's length.
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    waiters[id.compact, default: [:]][key] = c
                    Task { [weak self] in
                        try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                        await self?.wake(id.compact, key)
                    }
                }
            } onGracefulShutdown: {
                Task { [weak self] in await self?.wake(id.compact, key) }
            }
            snapshot = try broker.snapshot(id)
        }
        return Broker.snapshotJSON(id, snapshot)
    }

    private func wake(_ id: String, _ key: UInt64) {
        guard let c = waiters[id]?.removeValue(forKey: key) else { return }
        if waiters[id]?.isEmpty == true { waiters[id] = nil }
        c.resume()
    }

    private func wakeAll(_ id: String) {
        for c in (waiters.removeValue(forKey: id) ?? [:]).values { c.resume() }
    }

    /// Newest first, as the API lists them: requests parked early cannot push a new one off it.
    func indexPage(after cursor: Store.ListCursor?) throws -> String {
        let store = broker.store
        let shown = try store.requests(status: [.pending], after: cursor, newestFirst: true)
        return WebPages.index(shown, total: try store.requestCount(status: [.pending]),
                              older: shown.count == 200 ? shown.last.map { Store.ListCursor(after: $0) } : nil,
                              tokenCount: { (try? store.tokenTexts(for: $0).count) ?? 0 })
    }

    func requestPage(_ id: String, hostHeader: String? = nil) throws -> String {
        let (record, _) = try broker.get(id, withBlobs: false)
        return try WebPages.request(record, tokens: try broker.store.tokenTexts(for: record.id), policy: broker.policyForDisplay(),
                                    publicURL: pageURL(hostHeader: hostHeader), blob: { try self.broker.store.blob($0) })
    }
}

/// The server's operator log on stderr: one inert line per event (request text is made inert,
/// as everywhere gate prints it).
enum ServerLog {
    static func line(_ text: String) { System.write(2, "gate-server: \(ShellQuote.inert(text))\n") }
}
