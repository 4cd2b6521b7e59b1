import ArgumentParser
import GateClient
import GateCore
import GateFlows
import GateStore
import GateSystem
import GateViews
import GateWire
import Glibc
import GateRun

/// One request as these commands see it: here (or through the daemon's worker), or on a server.
struct RequestLookup {
    var record: RequestRecord
    /// How far its approvals have come and who denied it (nil without a policy to check them).
    var progress: ApprovalProgress?
    var denial: (approver: String, comment: String)?

    init(record: RequestRecord, tokens: [String], policy: Policy?) {
        self.record = record
        guard let policy else { return }
        let now = System.nowSeconds()
        let decisions = record.validDecisions(tokens: tokens, policy: policy, now: now)
        progress = record.progress(of: decisions, policy: policy, now: now)
        denial = decisions.first { $0.token.payload.decision == .deny }.map { ($0.approver, $0.token.payload.comment) }
    }

    static func find(_ typed: String, server: String?) throws -> RequestLookup {
        let env = try GateEnvironment.current()
        let policy = try? PolicyLoader.load(env.policyPath)
        if let client = try RemoteClient.configured(server) {
            let fetched = try client.get(typed)
            return RequestLookup(record: fetched.record, tokens: fetched.tokens, policy: policy)
        }
        let store = try Store.open(env)
        let record = try VisibleRequest.find(typed, in: store)
        return RequestLookup(record: record, tokens: try store.tokenTexts(for: record.id), policy: policy)
    }

    /// pending (still needs approvals), approved (enough: the requester may run it), or the
    /// recorded status (denied, cancelled, expired, refused, running, finished, …).
    var state: String {
        if record.status == .pending {
            if denial != nil { return "denied" }
            if let e = record.expiresMicros, System.nowMicros() >= e { return "expired" }
            if let p = progress, p.missing.isEmpty, !p.approvers.isEmpty || record.requirements.isEmpty { return "approved" }
            return "pending"
        }
        return record.status.rawValue
    }

    func json() -> JSON {
        let p = progress
        return .object([
            ("id", .string(record.id.description)), ("state", .string(state)), ("argv", .array(record.intent.argv.map(JSON.string))),
            ("user", .string(record.intent.user)), ("agent", .string(record.intent.agent)), ("rule", .string(record.rule)),
            ("requires", .array(record.requirements.map { .string($0.description) })), ("reason", .string(record.reason)),
            ("ticket", .string(record.ticket)), ("approvers", .array((p?.approvers ?? []).map(JSON.string))),
            ("missing", .array((p?.missing ?? []).map(JSON.string))),
            ("denied_by", denial.map { .string($0.approver) } ?? .null), ("denial_reason", denial.map { .string($0.comment) } ?? .null),
        ])
    }

    func text() -> String {
        var out = "request     \(record.id)  \(state)\n"
        out += "command     \(ShellQuote.join(record.intent.argv))\n"
        out += "requester   \(ShellQuote.inert(record.intent.user))\(record.intent.agent.isEmpty ? "" : " (agent \(ShellQuote.inert(record.intent.agent)))"); \(record.rule); needs \(record.requirements.map(\.description).joined(separator: " and "))\n"
        if let p = progress { out += "approvals   \(ShellQuote.inert(p.summary))" + (p.missing.isEmpty ? "\n" : "; still needs \(p.missing.joined(separator: " and "))\n") }
        if let d = denial { out += "denied by   \(ShellQuote.inert(d.approver))\(d.comment.isEmpty ? "" : ": \(ShellQuote.inert(d.comment))")\n" }
        return out
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Say where one request stands: pending, approved (ready to run), denied, ran, withdrawn.")

    @Argument(help: "The request id, or a unique prefix of it.") var id: String
    @Flag(help: "Machine-readable output.") var json = false
    @OptionGroup var remote: ServerOption

    func run() throws {
        if remote.server == nil, let daemon = DaemonClient.configured() { try DaemonRouting.forward(daemon) }
        let found = try RequestLookup.find(id, server: remote.server)
        System.write(1, json ? found.json().serialized(pretty: true) + "\n" : found.text())
    }
}

struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait for a decision on a request, without running it.",
        discussion: "Exit 0 once it is approved (then: gate run --request ID -- CMD) or has run; 77 denied or refused; 75 withdrawn, expired, or still pending when --timeout passes (the request stays pending).")

    @Argument(help: "The request id, or a unique prefix of it.") var id: String
    @Option(help: ArgumentHelp("How long to wait, e.g. 90s, 15m (default: until decided).", valueName: "duration")) var timeout: String?
    @Flag(help: "Print the final state as JSON on standard output.") var json = false
    @OptionGroup var remote: ServerOption

    func run() throws {
        if remote.server == nil, let daemon = DaemonClient.configured() { try DaemonRouting.forward(daemon) }
        var limit: UInt64?
        if let timeout {
            guard let d = GateDuration(parsing: timeout) else {
                throw GateFailure.usage("--timeout '\(timeout)' is not allowed: a duration from 1s to 366d", hint: "a number and a unit: 90s, 15m, 2h")
            }
            limit = d.seconds
        }
        let deadline = limit.map { System.monotonicNanos() + $0 * 1_000_000_000 }
        // Here, inotify wakes the wait when a decision is stored; a server is asked every 2 s.
        let waiter = try RemoteClient.configured(remote.server) == nil ? try? Waiter(watching: try GateEnvironment.current().home) : nil
        var said = ""
        while true {
            let found = try RequestLookup.find(id, server: remote.server)
            let state = found.state
            if state != said, state == "pending" { Diagnostics.note("request \(found.record.id) is pending" + (found.progress.map { ": \($0.summary); still needs \($0.missing.joined(separator: " and "))" } ?? "")) }
            said = state
            if state != "pending" {
                if json { System.write(1, found.json().serialized(pretty: true) + "\n") }
                switch state {
                case "approved":
                    Diagnostics.note("request \(found.record.id) is approved by \(found.progress?.approvers.joined(separator: ", ") ?? "its approvers"); run it: gate run --request \(found.record.id) -- \(ShellQuote.join(found.record.intent.argv))")
                    return
                case "running", "finished", "review", "reviewed":
                    Diagnostics.note("request \(found.record.id) has already run (\(state))")
                    return
                case "denied":
                    throw GateFailure.denied("request \(found.record.id) was denied" + (found.denial.map { " by \($0.approver)" + ($0.comment.isEmpty ? "" : ": \($0.comment)") } ?? ""))
                case "refused":
                    throw GateFailure.denied("request \(found.record.id) was refused")
                default:
                    throw GateFailure(.tempFail, "request \(found.record.id) is \(state)")
                }
            }
            if let deadline, System.monotonicNanos() >= deadline {
                if json { System.write(1, found.json().serialized(pretty: true) + "\n") }
                throw GateFailure(.tempFail, "request \(found.record.id) is still pending after \(timeout ?? ""); it stays pending")
            }
            if let waiter {
                if case .signal = waiter.wait(timeoutMilliseconds: 1000) { throw GateFailure(.tempFail, "interrupted; request \(found.record.id) stays pending") }
            } else {
                usleep(2_000_000)
            }
        }
    }
}

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Withdraw your pending request (recorded); its approvals can no longer run it.")

    @Argument(help: "The request id, or a unique prefix of it.") var id: String
    @OptionGroup var remote: ServerOption

    func run() throws {
        if remote.server == nil, let daemon = DaemonClient.configured() { try DaemonRouting.forward(daemon) }
        let me = DaemonWorkerMode.requester ?? Credentials.lookup(uid: System.uid)
        let env = try GateEnvironment.current()
        let found = try RequestLookup.find(id, server: remote.server)
        let r = found.record
        guard me?.uid == 0 || UInt64(me?.uid ?? UInt32.max) == r.intent.uid else {
            throw GateFailure.denied("request \(r.id) is \(r.intent.user)'s; only its requester (or root) withdraws it")
        }
        guard r.status == .pending else { throw GateFailure.denied("request \(r.id) is \(r.status.rawValue), not pending; nothing to withdraw") }
        let actor = me?.user ?? "uid:\(System.uid)"
        if let client = try RemoteClient.configured(remote.server) { try client.cancel(r, as: try RequesterKey.load()) }
        let store = try Store.open(env)
        if try store.request(r.id) != nil {
            try store.write {
                try store.setStatus(r.id, .cancelled)
                try store.appendLedger(.cancelled, request: r.id.compact, actor: actor, payload: .object([("why", .string("withdrawn by \(actor) (gate cancel)"))]))
            }
        }
        Diagnostics.note("withdrew request \(r.id)")
    }
}
