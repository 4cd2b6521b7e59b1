import GateKit
import GateWire
import Hummingbird

/// The remote broker's HTTP application (issue 5), built in one place for `gate-server` and for
/// the in-process router tests. This first version only reports its health: state directory
/// and ledger. Requests, approvals, waiting and webhooks come next (issue 5).
public enum ServerApp {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The server's own state directory (its SQLite state and chained ledger).
        public var stateDirectory: String

        public init(host: String = "127.0.0.1", port: Int = 8780, stateDirectory: String) {
            self.host = host
            self.port = port
            self.stateDirectory = stateDirectory
        }
    }

    /// `onRunning` gets the port actually bound (the configured one, or the one the system
    /// chose for port 0).
    public static func build(_ configuration: Configuration,
                             onRunning: @escaping @Sendable (Int) -> Void = { _ in }) throws -> some ApplicationProtocol {
        let state = try ServerState(home: configuration.stateDirectory)
        let router = Router()
        router.get("/v1/health") { _, _ in try await json(.ok, state.health()) }
        router.get("/v1") { _, _ in json(.ok, .object([("api", .string("gate/v1")), ("health", .string("/v1/health"))])) }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "gate-server"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? configuration.port) })
    }

    /// Every response body is JSON written by gate's own serialiser (stable, escaped).
    static func json(_ status: HTTPResponse.Status, _ value: JSON) -> Response {
        var bytes: [UInt8] = []
        value.serialize(into: &bytes)
        bytes.append(10)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The server's store. SQLite connections are used by one thread at a time: the actor is that
/// guarantee.
actor ServerState {
    let store: Store

    init(home: String) throws {
        store = try Store.open(GateEnvironment(home: home, policyPath: home + "/policy"))
    }

    func health() throws -> JSON {
        let entries = try store.ledgerCount()
        let checkpoint = try store.newestCheckpoint()
        return .object([
            ("status", .string("ok")),
            ("ledger_id", .string(try store.ledgerID())),
            ("ledger_entries", .int(entries)),
            ("newest_checkpoint", checkpoint.map { .int($0.body.size) } ?? .null),
        ])
    }
}
