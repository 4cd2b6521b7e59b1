import ArgumentParser
import GateCore
import GateWire
import GateSystem
import GateStore
import GateClient
import GateViews
import GateFlows
import GateRun

/// `--server URL`, shared by the commands that can work against a gate server.
struct ServerOption: ParsableArguments {
    @Option(help: ArgumentHelp("Work against this gate server (default: $GATE_SERVER; unset: this host's state directory).", valueName: "url"))
    var server: String?
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show everything about one request.")

    @Argument(help: "The request id, or a unique prefix of it.", completion: IDCompletion.kind) var id: String
    @Flag(help: "Machine-readable output.") var json = false
    @Flag(help: "Print long output directly instead of through $PAGER.") var noPager = false
    @OptionGroup var remote: ServerOption

    func run() throws {
        if remote.server == nil, let daemon = DaemonClient.configured() { try DaemonRouting.forward(daemon) }
        let env = try GateEnvironment.current()
        let request: RequestRecord, tokens: [String], blob: ([UInt8]) throws -> [UInt8]?
        if let client = try RemoteClient.configured(remote.server) {
            let fetched = try client.get(id)
            (request, tokens) = (fetched.record, fetched.tokens)
            blob = { fetched.blobs[$0] }
            if let why = ContextBinding.problem(intent: request.intent, context: request.context) {
                throw GateFailure(.dataError, "the gate server's request \(request.id): \(why)", hint: "do not approve it; tell the server's operator")
            }
        } else {
            let store = try Store.open(env)
            request = try VisibleRequest.find(id, in: store)
            if let why = try store.integrityProblem(request) {
                throw GateFailure(.dataError, why, hint: "do not approve it: gate approve refuses it too; gate audit verify checks the ledger")
            }
            tokens = try store.tokenTexts(for: request.id)
            blob = store.blob
        }
        if json {
            guard case .object(let fields) = Views.requestJSON(request, tokens: tokens) else { return }
            System.write(1, JSON.object(fields + (try Views.contextJSON(request, blob: blob))).serialized(pretty: true) + "\n")
        } else {
            // The policy only names approvers here; showing a request must not fail on it.
            let policy = try? PolicyLoader.load(env.policyPath)
            let color = System.useColor(fd: 1)
            let text = Views.showText(request, tokens: tokens, policy: policy) + (try Views.contextText(request, color: color, blob: blob))
            if noPager { System.write(1, text) } else { Pager.show(text) }
        }
    }
}

/// A request as the one asking may name it. Through the daemon a requester who is not an
/// approver names only their own, by whole id, and gets one answer for another's and for none:
/// a prefix would let them list everyone's ids a letter at a time.
enum VisibleRequest {
    static func find(_ typed: String, in store: Store) throws -> RequestRecord {
        guard let own = DaemonWorkerMode.onlyRequestsOf else { return try store.findRequest(typed) }
        guard let full = RequestID.normalise(typed), full.count == RequestID.length, let found = try? store.findRequest(full),
              TextSearch.sameBytes(found.intent.user, own) else {
            throw GateFailure.denied("no request \(ShellQuote.inert(typed)) of yours: through the gate daemon, a requester sees their own requests, by their whole id")
        }
        return found
    }
}

struct DecisionOptions: ParsableArguments {
    @Argument(help: "The request id, or a unique prefix of it.", completion: IDCompletion.kind) var id: String
    @Option(help: ArgumentHelp("Your secret key (default: $GATE_KEY or ~/.config/gate/key).", valueName: "file")) var key: String?
    @OptionGroup var remote: ServerOption
}

struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a request: sign a token bound to its exact intent.")

    @OptionGroup var common: DecisionOptions
    @Option(help: "A comment recorded with the approval.") var comment: String = ""
    @Option(help: ArgumentHelp("How long the approval stays valid, e.g. 90s, 15m, 2h (at most 7d).", valueName: "duration")) var ttl: String = "15m"
    @Flag(help: "Print the token on standard output, for handing over offline (gate run --token).") var printToken = false

    func run() throws {
        var options = DecideFlow.Options(request: common.id, decision: .approve)
        options.keyPath = common.key
        options.server = common.remote.server
        options.comment = comment
        guard let d = GateDuration(parsing: ttl), d.seconds <= 7 * 86400 else {
            throw GateFailure.usage("--ttl '\(ttl)' is not allowed: a duration from 1s to 7d", hint: "a number and a unit: 90s, 15m, 1h, 7d")
        }
        options.lifetimeSeconds = d.seconds
        let result = try DecideFlow.run(options)
        Diagnostics.note("approved \(result.request.id) as \(result.approver) (key \(result.token.payload.keyID)); valid until \(formatUTC(result.token.payload.expiresAt))")
        if printToken { System.write(1, result.token.text + "\n") }
    }
}

struct DenyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deny", abstract: "Deny a request (signed, recorded).")

    @OptionGroup var common: DecisionOptions
    @Option(help: "Why; shown to the requester and recorded.") var reason: String

    func run() throws {
        var options = DecideFlow.Options(request: common.id, decision: .deny)
        options.keyPath = common.key
        options.server = common.remote.server
        options.comment = reason
        let result = try DecideFlow.run(options)
        Diagnostics.note("denied \(result.request.id) as \(result.approver)")
    }
}
