import ArgumentParser
import GateSystem
import GateServer
import Hummingbird

/// `gate-server --listen 127.0.0.1:8780 --state DIR`: a separate executable so that `gate`
/// itself does not pay for linking the server (BENCHMARKS.md, issue 5). `gate serve` runs it.
@main
struct GateServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate-server",
        abstract: "The gate broker: relays and records signed requests and approvals (also run as 'gate serve').",
        discussion: "The state directory holds the server's SQLite state, its chained ledger and its policy (DIR/policy), which registers requesters ('requester NAME key=…') beside approvers and rules. API: SPEC.md §9.",
        version: GateVersion.string)

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port")) var listen = "127.0.0.1:8780"
    @Option(help: ArgumentHelp("The server's state directory.", valueName: "dir")) var state: String
    @Option(help: ArgumentHelp("The URL people reach this server at, for links in notifications (default: http://LISTEN).", valueName: "url"))
    var publicURL: String?
    @Option(help: ArgumentHelp("POST a JSON notification of each new request here (repeatable).", valueName: "url")) var webhook: [String] = []
    @Option(help: ArgumentHelp("POST a Slack incoming-webhook message for each new request here (repeatable).", valueName: "url"))
    var slackWebhook: [String] = []
    @Option(help: ArgumentHelp("File holding the HMAC key for the X-Gate-Signature header (mode 0600).", valueName: "file"))
    var webhookSecret: String?
    @Option(help: ArgumentHelp("Close a connection that has not sent a complete request head this many seconds after it opened (or after the previous response), however slowly it sends.", valueName: "seconds"))
    var idleTimeout: Int64 = 30
    @Option(help: ArgumentHelp("Close a connection whose request body is not complete this many seconds after its head.", valueName: "seconds"))
    var bodyTimeout: Int64 = 60
    @Option(help: ArgumentHelp("Connections open at once; more are closed as they arrive.", valueName: "n"))
    var maxConnections = 512
    @Option(help: ArgumentHelp("Pending requests one requester may have at once; more are refused (429).", valueName: "n"))
    var maxPending = 20
    @Option(help: ArgumentHelp("Bytes of context outputs one requester's requests may hold on the server.", valueName: "bytes"))
    var contextQuota: Int64 = 64 << 20
    @Option(help: ArgumentHelp("Keep context outputs this many seconds after their last request was decided, withdrawn or expired.", valueName: "seconds"))
    var contextRetention: Int64 = 86_400
    @Option(help: ArgumentHelp("Ledgers (hosts) one requester may keep checkpoint copies of.", valueName: "n"))
    var maxLedgers = 64
    @Option(help: ArgumentHelp("Bytes one requester's checkpoint copies (with the entries they carry) may hold.", valueName: "bytes"))
    var copyQuota: Int64 = 256 << 20
    @Option(help: ArgumentHelp("Bytes of large request bodies (over 64 KiB, each authenticated first) held in memory at once; one requester may hold three eighths of it. More are answered 503 busy.", valueName: "bytes"))
    var bodyMemory: Int = 128 << 20
    @Option(help: ArgumentHelp("Longest long poll a client may ask for (GET …/wait?timeout=S is cut to this).", valueName: "seconds"))
    var maxWait: Double = 60

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen needs host:port, e.g. 127.0.0.1:8780")
        }
        let host = String(listen[..<colon])
        var secret: [UInt8]?
        if let path = webhookSecret {
            do {
                try FileSafety.checkSecretKey(path)
                secret = Array(try Files.readText(path, limit: 4096).trimmingASCIIWhitespace().utf8)
            } catch let f as GateFailure {
                throw f
            } catch {
                throw GateFailure.config("cannot read --webhook-secret \(path): \(error)")
            }
            guard (secret?.count ?? 0) >= 16 else { throw GateFailure.config("--webhook-secret \(path) holds fewer than 16 bytes") }
        }
        for url in webhook + slackWebhook where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("webhook '\(url)' is not an http:// or https:// URL")
        }
        guard (1...86_400).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1 to 86400 seconds") }
        guard (1...86_400).contains(bodyTimeout) else { throw ValidationError("--body-timeout must be 1 to 86400 seconds") }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be 1 to 1000000") }
        var config = ServerApp.Configuration(host: host, port: port, stateDirectory: state)
        config.idleTimeoutSeconds = idleTimeout
        config.bodyTimeoutSeconds = bodyTimeout
        config.maxConnections = maxConnections
        guard (1...1_000_000).contains(maxPending) else { throw ValidationError("--max-pending must be 1 to 1000000") }
        config.maxPendingPerRequester = maxPending
        guard contextQuota >= 0, (0...(10 * 365 * 86_400)).contains(contextRetention) else {
            throw ValidationError("--context-quota must not be negative and --context-retention must be 0 to 315360000 seconds")
        }
        config.context.quotaBytes = contextQuota
        guard maxLedgers >= 1, copyQuota >= 0 else { throw ValidationError("--max-ledgers must be at least 1 and --copy-quota not negative") }
        config.copies.ledgersPerRequester = maxLedgers
        config.copies.quotaBytes = copyQuota
        config.context.retentionSeconds = contextRetention
        guard bodyMemory >= 64 << 10 else { throw ValidationError("--body-memory must be at least 65536 bytes") }
        config.bodies.total = bodyMemory
        config.bodies.perRequester = bodyMemory / 8 * 3
        guard maxWait.isFinite, (0...3600).contains(maxWait) else { throw ValidationError("--max-wait must be 0 to 3600 seconds") }
        config.maxWaitSeconds = maxWait
        config.publicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        config.webhooks = webhook.map { Webhook(kind: .json, url: $0, secret: secret) } + slackWebhook.map { Webhook(kind: .slack, url: $0, secret: secret) }
        do {
            let app = try ServerApp.build(config) { bound in
                // One plain line for people and scripts (tests read the port from it).
                System.write(2, "gate-server: listening on http://\(host):\(bound) (state \(state))\n")
            }
            // SIGINT/SIGTERM end it gracefully (service-lifecycle): in-flight requests finish.
            try await app.runService()
        } catch let f as GateFailure {
            System.write(2, "gate-server: error: \(f.message)\n")
            if let h = f.hint { System.write(2, "gate-server: hint: \(h)\n") }
            throw ArgumentParser.ExitCode(f.exitCode.rawValue)
        }
    }
}
