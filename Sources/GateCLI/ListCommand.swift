import ArgumentParser
import GateClient
import GateCore
import GateStore
import GateSystem
import GateViews
import GateWire
import Glibc

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List what approvers can act on: pending requests and break-glass runs to review (newest first).",
        discussion: "A request whose requester stopped waiting (killed; not --no-wait) is abandoned: it is left out, with a note, and listed by --all. On a terminal the list has a header.")

    @Flag(help: "Machine-readable output.") var json = false
    @Flag(help: "Every request: also abandoned, decided, finished and cancelled ones (newest first).") var all = false
    @Flag(help: "Keep the list on screen, redrawn whenever it changes (Ctrl-C stops).") var watch = false
    @OptionGroup var remote: ServerOption
    /// For shell completion (IDCompletion): the ids alone, one per line, never an error.
    @Flag(help: .hidden) var ids = false

    /// A list cut at its limit says so (on stderr, so --json stays one document).
    static func cutNote(shown: Int, total: Int64) -> String {
        total > Int64(shown) ? "gate: note: showing \(shown) of \(total) requests\n" : ""
    }

    func run() throws {
        if ids { return IDCompletion.printIDs(server: remote.server) }
        if remote.server == nil, let daemon = DaemonClient.configured() { try DaemonRouting.forward(daemon) }
        guard watch else {
            let (out, notes) = try render()
            System.write(2, notes)
            System.write(1, out)
            return
        }
        guard !json else { throw GateFailure.usage("--watch redraws a list for people; --json is one document", hint: "use one of them") }
        // Here, inotify wakes the redraw when the state changes; a server is asked every 2 s.
        let waiter = try RemoteClient.configured(remote.server) == nil ? try Waiter(watching: try GateEnvironment.current().home) : nil
        let terminal = System.isTerminal(1)
        var last = ""
        while true {
            let (out, notes) = try render()
            if out + notes != last {
                last = out + notes
                if terminal { System.write(1, "\u{1b}[H\u{1b}[2J") }
                System.write(1, out + notes
                             + (terminal ? "\nwatching (updated \(formatUTC(System.nowSeconds()))); Ctrl-C stops\n" : "\n"))
            }
            if let waiter {
                if case .signal = waiter.wait(timeoutMilliseconds: 2000) { return }
            } else {
                usleep(2_000_000)
            }
        }
    }

    /// The list (standard output) and its notes (standard error).
    func render() throws -> (String, String) {
        let header = System.isTerminal(1) && !json
        if let client = try RemoteClient.configured(remote.server) {
            let (items, total) = try client.list(all: all)
            let notes = Self.cutNote(shown: items.count, total: total)
            if json { return (JSON.array(items.map { Views.requestJSON($0.record, tokens: $0.tokens) }).serialized(pretty: true) + "\n", notes) }
            return (Views.listText(items.map(\.record), header: header), notes)
        }
        let store = try Store.open(try GateEnvironment.current())
        var requests = try store.requests(status: all ? [] : [.pending, .review], newestFirst: true)
        var notes = ""
        if let own = DaemonWorkerMode.onlyRequestsOf {
            requests = requests.filter { TextSearch.sameBytes($0.intent.user, own) }
        } else {
            notes += Self.cutNote(shown: requests.count, total: try store.requestCount(status: all ? [] : [.pending, .review]))
        }
        if !all {
            let abandoned = requests.filter { Views.isAbandoned($0) }.count
            requests.removeAll { Views.isAbandoned($0) }
            if abandoned > 0 {
                notes += "gate: note: \(abandoned) abandoned request\(abandoned == 1 ? "" : "s") (nobody waits for \(abandoned == 1 ? "it" : "them")) not shown: gate list --all\n"
            }
        }
        if json {
            let items = try requests.map { Views.requestJSON($0, tokens: try store.tokenTexts(for: $0.id)) }
            return (JSON.array(items).serialized(pretty: true) + "\n", notes)
        }
        return (Views.listText(requests, header: header), notes)
    }
}
