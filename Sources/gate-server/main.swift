import ArgumentParser
import GateKit
import GateServer
import Hummingbird

/// `gate-server --listen 127.0.0.1:8780 --state DIR`: a separate executable so that `gate`
/// itself does not pay for linking the server (BENCHMARKS.md, issue 5).
@main
struct GateServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate-server", abstract: "The gate broker: relays and records signed requests and approvals (work in progress: health only).")

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port")) var listen = "127.0.0.1:8780"
    @Option(help: ArgumentHelp("The server's state directory.", valueName: "dir")) var state: String

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen needs host:port, e.g. 127.0.0.1:8780")
        }
        let host = String(listen[..<colon])
        let app = try ServerApp.build(.init(host: host, port: port, stateDirectory: state)) { bound in
            // One plain line for people and scripts (tests read the port from it).
            System.write(2, "gate-server: listening on http://\(host):\(bound) (state \(state))\n")
        }
        // SIGINT/SIGTERM end it gracefully (service-lifecycle): in-flight requests finish.
        try await app.runService()
    }
}
