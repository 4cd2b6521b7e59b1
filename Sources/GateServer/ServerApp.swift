import GateCore
import GateStore
import GateWire
import Hummingbird
import NIOCore
import GateSystem

/// The remote broker's HTTP application (issue 5; API in SPEC.md §9), built in one place for
/// `gate-server` and for the in-process router tests. Routing and rendering only: the
/// decisions are the Broker (Broker/), behind the ServerState actor.
public enum ServerApp {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The server's own state directory (its SQLite state, chained ledger and policy).
        public var stateDirectory: String
        /// Where people and messages link to (`http://HOST:PORT` unless set), for webhooks.
        public var publicURL: String?
        public var webhooks: [Webhook] = []
        /// Longest long-poll a client may ask for, in seconds.
        public var maxWaitSeconds: Double = 60
        /// A connection with no request in flight (a client that connected and sent nothing, or a
        /// request head it never finished) is closed after this many seconds, so stalled clients
        /// cannot hold connections and memory open.
        public var idleTimeoutSeconds: Int64 = 30
        /// A request head must be complete this long after the connection opens (or the previous
        /// response ends), however slowly it trickles in: the idle timeout.
        /// A request body must be complete this long after its head.
        public var bodyTimeoutSeconds: Int64 = 60
        /// Connections open at once; one more is closed as it arrives (ConnectionGuard).
        public var maxConnections = 512
        /// Pending requests one requester may have at once (429 `too-many-pending` beyond).
        public var maxPendingPerRequester = 20
        /// Context outputs: a quota per requester and how long they are kept after their request.
        public var context = Broker.ContextLimits()
        /// Checkpoint copies: ledger ids per requester and the bytes its copies may hold.
        public var copies = Broker.CopyLimits()
        /// Large request bodies held in memory at once (BodyBudget).
        public var bodies = BodyBudget.Limits()

        public init(host: String = "127.0.0.1", port: Int = 8780, stateDirectory: String) {
            self.host = host
            self.port = port
            self.stateDirectory = stateDirectory
        }
    }

    /// Largest request body (a request with its context outputs), and the largest of anything else.
    public static let maxCreateBody = 24 << 20
    public static let maxSmallBody = 64 << 10
    static let statementHeader = "gate-statement"

    /// `onRunning` gets the port actually bound (the configured one, or the one the system
    /// chose for port 0).
    public static func build(_ configuration: Configuration,
                             onRunning: @escaping @Sendable (Int) -> Void = { _ in }) throws -> some ApplicationProtocol {
        let state = try ServerState(home: configuration.stateDirectory, webhooks: configuration.webhooks,
                                    publicURL: configuration.publicURL ?? "http://\(configuration.host):\(configuration.port)",
                                    publicURLConfigured: configuration.publicURL != nil,
                                    maxPending: configuration.maxPendingPerRequester, context: configuration.context, copies: configuration.copies)
        let budget = BodyBudget(configuration.bodies)
        let router = Router()
        router.add(middleware: JSONErrors())
        router.get("/v1") { _, _ in
            json(.ok, .object([("api", .string("gate/v1")), ("health", .string("/v1/health")), ("requests", .string("/v1/requests"))]))
        }
        router.get("/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDescription.document)))
        }
        router.get("/v1/health") { _, _ in try await json(.ok, state.health()) }
        router.get("/v1/requests") { request, _ in
            try await json(.ok, state.list(all: try allFlag(request), after: try cursor(request)))
        }
        router.post("/v1/requests") { request, _ in
            let (body, announced, held) = try await collectSigned(request, budget: budget) { try await state.preauthorize($0) }
            defer { held.map(budget.release) }
            return try await json(.created, state.create(body, announced: announced))
        }
        router.get("/v1/requests/:id") { _, context in
            try await json(.ok, state.get(try context.parameters.require("id")))
        }
        router.post("/v1/requests/:id/decisions") { request, context in
            let body = try await collect(request, upTo: maxSmallBody)
            return try await json(.created, state.decide(try context.parameters.require("id"), body))
        }
        router.post("/v1/requests/:id/cancel") { request, context in
            let body = try await collect(request, upTo: maxSmallBody)
            return try await json(.ok, state.cancel(try context.parameters.require("id"), body))
        }
        router.get("/v1/requests/:id/wait") { request, context in
            let q = request.uri.queryParameters
            // Numbers only; "nan" or "inf" must not reach the sleep's conversion.
            let seenText = q.get("seen") ?? "0", timeoutText = q.get("timeout") ?? "25"
            guard let seen = Int(seenText), seen >= 0, let asked = Double(timeoutText), asked.isFinite, asked >= 0 else {
                throw Broker.Refusal(status: 400, code: .badQuery, message: "seen must be a whole number and timeout a number of seconds, neither negative")
            }
            let timeout = min(configuration.maxWaitSeconds, asked)
            return try await json(.ok, state.wait(try context.parameters.require("id"), seen: seen, timeout: timeout))
        }
        router.post("/v1/checkpoints") { request, _ in
            // (A copy carries the host's entries since the one held: it can be large.)
            let (body, announced, held) = try await collectSigned(request, budget: budget) { try await state.preauthorizeCheckpoint($0) }
            defer { held.map(budget.release) }
            return try await json(.created, state.receiveCheckpoint(body, announced: announced))
        }
        router.get("/v1/checkpoints/:ledger") { request, context in
            try await json(.ok, state.checkpoints(ledger: try context.parameters.require("ledger"), all: try allFlag(request)))
        }
        router.get("/") { request, _ in try await html(state.indexPage(after: try cursor(request))) }
        router.get("/r/:id") { request, context in
            try await html(state.requestPage(try context.parameters.require("id"), hostHeader: request.head.authority))
        }
        let limits = ConnectionGuard.Limits(maxConnections: configuration.maxConnections, headSeconds: configuration.idleTimeoutSeconds,
                                            bodySeconds: configuration.bodyTimeoutSeconds)
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(limits)],
                                                idleTimeout: .seconds(configuration.idleTimeoutSeconds))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "gate-server"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                await state.listening(host: configuration.host, port: port)
                onRunning(port)
            })
    }

    /// `all=1` or `all=0` (absent: 0); anything else is refused.
    static func allFlag(_ request: Request) throws(Broker.Refusal) -> Bool {
        let all = request.uri.queryParameters.get("all")
        guard all == nil || all == "1" || all == "0" else { throw Broker.Refusal(status: 400, code: .badQuery, message: "all must be 1 or 0") }
        return all == "1"
    }

    /// `cursor=`, a list's `next_cursor` (absent: the first page).
    static func cursor(_ request: Request) throws(Broker.Refusal) -> Store.ListCursor? {
        guard let text = request.uri.queryParameters.get("cursor") else { return nil }
        guard let cursor = Store.ListCursor(String(text)) else {
            throw Broker.Refusal(status: 400, code: .badQuery, message: "cursor must be a next_cursor this server gave (CREATED_US-ID)")
        }
        return cursor
    }

    /// A body that may be larger than `maxSmallBody` only when the request's Gate-Statement
    /// header proves, before any of the body is read, that a registered requester sends it
    /// (`preauthorize` checks it and throws the refusal). Returns the header's statement too, to
    /// be matched with the body's.
    static func collectSigned(_ request: Request, budget: BodyBudget, preauthorize: (String) async throws -> SignedStatement) async throws
        -> (body: [UInt8], announced: SignedStatement?, held: BodyBudget.Reservation?) {
        var announced: SignedStatement?
        if let header = request.headers.first(where: { $0.name.canonicalName == statementHeader })?.value {
            announced = try await preauthorize(header)
        }
        // A large body is admitted into memory only within the budget (503 busy beyond).
        var held: BodyBudget.Reservation?
        if let announced, let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxSmallBody, length <= maxCreateBody {
            held = try budget.reserve(length, key: announced.payload.keyID.description)
        }
        do {
            return (try await collect(request, upTo: announced == nil ? maxSmallBody : maxCreateBody), announced, held)
        } catch {
            held.map(budget.release)
            throw error
        }
    }

    /// A body is read only when its Content-Length says it fits: one larger is refused (413)
    /// before a byte of it is read, and one without a length (chunked: its chunk sizes are
    /// the client's word, up to FFFFFFFFFFFFFFFF) is refused with 411. gate's client always
    /// sends Content-Length. Either way the client is answered at once.
    static func collect(_ request: Request, upTo limit: Int) async throws -> [UInt8] {
        guard let lengthText = request.headers[.contentLength] else {
            throw Broker.Refusal(status: 411, code: .badRequest, message: "a request body needs a Content-Length (chunked bodies are not accepted)")
        }
        guard let length = Int(lengthText), length >= 0 else {
            throw Broker.Refusal(status: 400, code: .badRequest, message: "Content-Length is not a number")
        }
        guard length <= limit else {
            throw Broker.Refusal(status: 413, code: .tooLarge, message: "the body is larger than the \(limit >> 10) KiB this endpoint accepts")
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Broker.Refusal(status: 413, code: .tooLarge, message: "the body is larger than the \(limit >> 10) KiB this endpoint accepts")
        } catch {
            // A client that went away mid-body, or a body that is not valid HTTP framing: not
            // "too large" (which the operator's log would then wrongly blame on the size).
            throw Broker.Refusal(status: 400, code: .badRequest, message: "the body could not be read: \(error)")
        }
    }

    /// Every response body is JSON written by gate's own serialiser (stable, escaped).
    static func json(_ status: HTTPResponse.Status, _ value: JSON) -> Response {
        var bytes: [UInt8] = []
        value.serialize(into: &bytes)
        bytes.append(10)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8",
                                           .init("Content-Security-Policy")!: "default-src 'none'; style-src 'unsafe-inline'"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }
}

/// Refusals, failures and unknown routes become `{"error": …, "code": …}` with a 4xx/5xx
/// status: a client never has to parse an HTML error page or an empty body.
struct JSONErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let r as Broker.Refusal {
            // One line per refusal for the operator (the ledger has it too, where attributable).
            if r.status != 404 { ServerLog.line("refused \(request.method) \(request.uri.path) (\(r.status) \(r.code)): \(r.message)") }
            var answer = Self.error(r.status, r.code, r.message)
            if r.code == .busy { answer.headers[.retryAfter] = "2" }
            // A refusal of a large body may come before the body is read (busy, too large, a
            // statement refused from its header): close, so the client stops sending and reads
            // the answer at once instead of when the connection times out.
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > ServerApp.maxSmallBody {
                answer.headers[.connection] = "close"
            }
            return answer
        } catch let f as GateFailure {
            return Self.error(500, .serverError, f.message)
        } catch let e as HTTPResponseError {
            let code = Int(e.status.code)
            switch code {
            case 404:
                // A described path with another method: 405, saying which are allowed.
                let allowed = OpenAPIDescription.methods(for: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                    var answer = Self.error(405, .badMethod, "\(request.method) is not allowed on \(request.uri.path) (\(allowed.joined(separator: ", ")) is)")
                    answer.headers[.allow] = allowed.joined(separator: ", ")
                    return answer
                }
                return Self.error(code, .notFound, "no such endpoint: \(request.method) \(request.uri.path)")
            case 405: return Self.error(code, .badMethod, "\(request.method) is not allowed on \(request.uri.path)")
            case 413: return Self.error(code, .tooLarge, "\(e.status)")
            case 500...: return Self.error(code, .serverError, "\(e.status)")
            default: return Self.error(code, .badRequest, "\(e.status)")
            }
        } catch {
            return Self.error(500, .serverError, "\(error)")
        }
    }

    static func error(_ status: Int, _ code: RefusalCode, _ message: String) -> Response {
        ServerApp.json(HTTPResponse.Status(code: status), .object([("error", .string(message)), ("code", .string(code.rawValue))]))
    }
}
