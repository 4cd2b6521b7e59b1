import ArgumentParser
import GateSystem

/// `gate serve`: the remote broker. Everything after `serve` goes to gate-server unchanged (see
/// `gate serve --help` for its options); GateMain hands it over before parsing anything.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gate server (remote approvals): gate serve --listen 127.0.0.1:8780 --state DIR.",
        discussion: "Runs the gate-server executable installed next to gate, with the same arguments. Options: --listen HOST:PORT, --state DIR, --public-url URL, --webhook URL, --slack-webhook URL, --webhook-secret FILE.")

    @Argument(parsing: .allUnrecognized, help: "Arguments for gate-server.") var arguments: [String] = []

    func run() throws { try SiblingExecutable.exec("gate-server", argv0: "gate-server", arguments: arguments, what: "gate serve") }
}
