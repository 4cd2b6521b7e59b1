import Glibc
import GateCore
import GateCrypto
import GateWire
import GateSystem
import GateStore

/// gate's client of a gate server (`GATE_SERVER=http://…` or `--server`): every call is one
/// HTTP exchange through PlainHTTP, and every server refusal becomes a GateFailure carrying the
/// server's one-line reason. A server that cannot be reached is exit 69 (EX_UNAVAILABLE).
public struct RemoteClient: Sendable {
    public let http: PlainHTTP
    public var url: String { http.base }

    /// The server named by `--server`, else `$GATE_SERVER`; nil for local mode.
    public static func configured(_ option: String?) throws -> RemoteClient? {
        guard let url = option ?? System.envNonEmpty("GATE_SERVER") else { return nil }
        return RemoteClient(http: try PlainHTTP(url: url))
    }

    public init(http: PlainHTTP) { self.http = http }

    /// One call. Non-2xx answers become failures with the server's message.
    func call(_ method: String, _ path: String, body: JSON? = nil, headers: [(name: String, value: String)] = [],
              timeoutSeconds: Double = 15, interruptFD: Int32? = nil) throws -> JSON {
        var bytes: [UInt8]?
        if let body { var b: [UInt8] = []; body.serialize(into: &b); bytes = b }
        let response: PlainHTTP.Response
        do {
            response = try http.send(method, path, body: bytes, headers: headers, timeoutMilliseconds: Int(timeoutSeconds * 1000), interruptFD: interruptFD)
        } catch {
            throw Self.failure(error, url: url)
        }
        let text = String(decoding: response.body, as: UTF8.self)
        let json = try? JSON.parse(text)
        guard (200..<300).contains(response.status) else {
            let message = json?["error"]?.stringValue ?? "HTTP \(response.status)"
            if response.status == 503, json?["code"]?.stringValue == "busy" { throw Busy(message: message) }
            let code: ExitCode
            switch response.status {
            case 400, 413, 422: code = ExitCode.dataError
            case 403, 409, 410: code = ExitCode.noPermission
            case 404: code = ExitCode.usage
            default: code = ExitCode.unavailable
            }
            if response.status >= 500 {
                throw GateFailure(code, "the gate server at \(url) failed (HTTP \(response.status)): \(ShellQuote.inert(message))",
                                  hint: "try again; if it persists, see gate-server's log")
            }
            throw GateFailure(code, "the gate server refused: \(ShellQuote.inert(message))")
        }
        guard let json else {
            var f = GateFailure(.dataError, "the gate server at \(url) sent something that is not JSON")
            f.refusal = .serverUnavailable
            throw f
        }
        return json
    }

    public static func failure(_ e: PlainHTTP.Failure, url: String) -> GateFailure {
        switch e {
        case .interrupted(let s): return GateFailure(.tempFail, "interrupted by signal \(s)")
        case .timedOut: return GateFailure(.unavailable, "the gate server at \(url) did not answer in time")
        case .malformed(let m):
            // An answer came, and it is not HTTP gate can read: the server (or what stands in
            // front of it) is at fault, not the network (exit 65, as `gate --help` documents).
            var f = GateFailure(.dataError, "the gate server at \(url) sent a malformed answer: \(ShellQuote.inert(m))",
                                hint: "check what answers at that address (a proxy, another service, a gate-server of another version)")
            f.refusal = .serverUnavailable
            return f
        default:
            let tls = "\(e)".hasPrefix("TLS")
            return GateFailure(.unavailable, "cannot reach the gate server at \(url): \(e)",
                               hint: tls ? "the certificate must name the URL's host and chain to a trusted CA (the system's, or GATE_SERVER_CA=FILE.pem)"
                                         : "is gate-server running there? (GATE_SERVER / --server)")
        }
    }

    // MARK: requesters

    /// Sends a signed request. The statement binds the request id, the intent digest and the
    /// exact body bytes.
    public func create(_ r: RequestRecord, blobs: [(digest: [UInt8], data: [UInt8])], as identity: SigningIdentity) throws -> JSON {
        // The statement also goes ahead of the body, so the server can check who sends it
        // before it reads more than strangers may send (SPEC.md §9.2).
        // A server holding as many large bodies as it allows answers 503 busy before reading this
        // one: wait as it asks and send again, with a fresh statement (each is used once), for
        // up to a minute.
        let giveUp = System.monotonicNanos() + 60_000_000_000
        var said = false
        while true {
            let body = try Self.createBody(r, blobs: blobs, as: identity)
            do {
                return try call("POST", "/v1/requests", body: body, headers: [("Gate-Statement", body["statement"]?.stringValue ?? "")], timeoutSeconds: 60)
            } catch let busy as Busy {
                guard System.monotonicNanos() < giveUp else {
                    throw GateFailure(.unavailable, "the gate server at \(url) stayed busy for a minute: \(ShellQuote.inert(busy.message))", hint: "try again later")
                }
                if !said { System.write(2, "gate: the gate server is busy receiving other requests; sending again in a moment\n"); said = true }
                usleep(UInt32(2_000_000 + Int.random(in: 0..<1_000_000)))
            }
        }
    }

    /// 503 `busy`: the server did not read the body; the same call may be made again shortly.
    struct Busy: Error {
        var message: String
    }

    public func cancel(_ r: RequestRecord, as identity: SigningIdentity) throws {
        _ = try call("POST", "/v1/requests/\(r.id.compact)/cancel", body: try Self.cancelBody(r, as: identity), timeoutSeconds: 5)
    }

    /// `{"statement", "body"}` for POST /v1/requests (SPEC.md §9.2).
    public static func createBody(_ r: RequestRecord, blobs: [(digest: [UInt8], data: [UInt8])], as identity: SigningIdentity,
                                  issuedAt: UInt64 = System.nowSeconds()) throws -> JSON {
        let body: JSON = .object([
            ("intent", .string(Base64URL.encode(r.intent.encoded()))),
            ("reason", .string(r.reason)), ("ticket", .string(r.ticket)), ("context", r.context),
            ("blobs", RequestTransfer.encodeBlobs(blobs)),
            // The rule of this host's policy that asked for approval: the server's own policy
            // may number its lines differently, and approvers are shown both.
            ("rule", .string(r.rule)),
        ])
        var bytes: [UInt8] = []
        body.serialize(into: &bytes)
        let statement = try sign(.create, request: r.id.compact, intent: r.digest.bytes, body: bytes, as: identity, issuedAt: issuedAt)
        return .object([("statement", .string(statement.text)), ("body", .string(Base64URL.encode(bytes)))])
    }

    public static func cancelBody(_ r: RequestRecord, as identity: SigningIdentity) throws -> JSON {
        .object([("statement", .string(try sign(.cancel, request: r.id.compact, intent: r.digest.bytes, body: nil, as: identity).text))])
    }

    /// `entries`: the ledger's entries after the copy the server holds, up to the checkpoint's
    /// size (SPEC.md §9.3): the proof that this copy extends that one.
    public static func checkpointBody(_ checkpoint: SignedCheckpoint, ledgerKey: PublicKey, entries: [LedgerEntry] = [],
                                      as identity: SigningIdentity) throws -> JSON {
        var bytes: [UInt8] = []
        JSON.object([("checkpoint", .string(checkpoint.text)), ("ledger_key", .string(ledgerKey.text)),
                     ("entries", .array(entries.map(LedgerTransfer.encode)))]).serialize(into: &bytes)
        let statement = try sign(.checkpoint, request: checkpoint.body.ledgerID, intent: [UInt8](repeating: 0, count: 32), body: bytes, as: identity)
        return .object([("statement", .string(statement.text)), ("body", .string(Base64URL.encode(bytes)))])
    }

    /// Long-poll for news past `seen` tokens. Throws PlainHTTP failures unchanged so the
    /// waiting requester can retry what is worth retrying.
    public func wait(_ id: RequestID, seen: Int, timeoutSeconds: Int, interruptFD: Int32?) throws -> (status: String, tokens: [String]) {
        let response = try http.send("GET", "/v1/requests/\(id.compact)/wait?seen=\(seen)&timeout=\(timeoutSeconds)",
                                     timeoutMilliseconds: (timeoutSeconds + 10) * 1000, interruptFD: interruptFD)
        // 5xx is the server (or the proxy in front of it) in trouble, e.g. nginx's 502 while
        // gate-server restarts: retried like a lost connection, not the end of the wait.
        guard response.status < 500 else { throw PlainHTTP.Failure.unreachable("HTTP \(response.status)") }
        guard let j = try? JSON.parse(String(decoding: response.body, as: UTF8.self)) else {
            throw PlainHTTP.Failure.malformed("HTTP \(response.status), not JSON")
        }
        guard response.status == 200, let status = j["status"]?.stringValue, let tokens = j["tokens"]?.arrayValue else {
            throw GateFailure(response.status == 404 ? ExitCode.dataError : ExitCode.unavailable,
                              "the gate server refused the wait: \(ShellQuote.inert(j["error"]?.stringValue ?? "HTTP \(response.status)"))")
        }
        return (status, tokens.compactMap(\.stringValue))
    }

    public func sendCheckpoint(_ checkpoint: SignedCheckpoint, ledgerKey: PublicKey, entries: [LedgerEntry] = [], as identity: SigningIdentity,
                               timeoutSeconds: Double = 5) throws -> JSON {
        let body = try Self.checkpointBody(checkpoint, ledgerKey: ledgerKey, entries: entries, as: identity)
        return try call("POST", "/v1/checkpoints", body: body, headers: [("Gate-Statement", body["statement"]?.stringValue ?? "")],
                        timeoutSeconds: timeoutSeconds)
    }

    static func sign(_ action: StatementPayload.Action, request: String, intent: [UInt8], body: [UInt8]?, as identity: SigningIdentity,
                     issuedAt: UInt64 = System.nowSeconds()) throws -> SignedStatement {
        let payload = StatementPayload(keyID: identity.publicKey.id, action: action, requestID: request, intentDigest: intent,
                                       bodyDigest: body.map { BLAKE2b.hash($0) } ?? [UInt8](repeating: 0, count: 32),
                                       issuedAt: issuedAt, nonce: SecureRandom.bytes(16))
        do { return try StatementSigning.sign(payload, with: identity) } catch {
            throw GateFailure.internalError("the request statement did not verify under its own key; nothing was sent")
        }
    }

    // MARK: approvers and readers

    /// The server's list and how many requests it holds in all (more than the list when cut).
    public func list(all: Bool) throws -> (items: [RequestTransfer.Decoded], total: Int64) {
        let j = try call("GET", "/v1/requests" + (all ? "?all=1" : ""))
        let items = try (j["requests"]?.arrayValue ?? []).map { try decode($0) }
        return (items, j["total"]?.intValue ?? Int64(items.count))
    }

    public func get(_ typed: String) throws -> RequestTransfer.Decoded {
        guard let prefix = RequestID.normalise(typed) else {
            throw GateFailure.usage("'\(typed)' is not a request id (ids look like 7K3F-Q2XZ)")
        }
        return try decode(try call("GET", "/v1/requests/\(prefix)"))
    }

    public func submit(_ token: SignedToken) throws -> JSON {
        try call("POST", "/v1/requests/\(token.payload.requestID)/decisions", body: .object([("token", .string(token.text))]))
    }

    public func newestCheckpoint(ledger: String) throws -> JSON? {
        do { return try call("GET", "/v1/checkpoints/\(ledger)") } catch let f as GateFailure where f.exitCode == ExitCode.usage { return nil }
    }

    /// Every copy the server holds for `ledger`, oldest first.
    public func allCheckpoints(ledger: String) throws -> [JSON] {
        do { return try call("GET", "/v1/checkpoints/\(ledger)?all=1")["copies"]?.arrayValue ?? [] } catch let f as GateFailure where f.exitCode == ExitCode.usage {
            return []
        }
    }

    func decode(_ j: JSON) throws -> RequestTransfer.Decoded {
        do { return try RequestTransfer.decode(j) } catch {
            throw GateFailure(.dataError, "the gate server at \(url) sent a malformed request: \(error)")
        }
    }
}

/// The requester's own key, which signs what it sends to a server: `$GATE_REQUESTER_KEY`, else
/// `~/.config/gate/requester.key` (made with `gate keygen --no-passphrase` for robots).
public enum RequesterKey {
    public static func path() -> String {
        if let e = System.envNonEmpty("GATE_REQUESTER_KEY") { return Paths.expandTilde(e) }
        let config = System.envNonEmpty("XDG_CONFIG_HOME") ?? Paths.join(System.homeDirectory() ?? "/", ".config")
        return Paths.join(config, "gate/requester.key")
    }

    public static func load() throws -> SigningIdentity {
        let p = path()
        guard Files.exists(p) else {
            throw GateFailure.config("remote mode needs a requester key: none at \(p)",
                                     hint: "gate keygen --name HOST --out \(p) --no-passphrase, then register it on the server: requester HOST key=…")
        }
        return try KeyFiles.unlock(try KeyFiles.readSecretKeyFile(p), path: p)
    }
}
