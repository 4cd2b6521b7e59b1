import ArgumentParser
import GateCore
import Glibc
import GateSystem
import GateFlows
import GateClient
import GateWire
import GateRun

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command once the policy's approvals are verified (the default: gate -- CMD).",
        discussion: "Arguments after -- are the command, exactly as it will run: gate never uses a shell."
    )

    @Option(help: "Why you are running this; shown to approvers and recorded.")
    var reason: String = ""

    @Option(help: "A change or incident ticket (e.g. CHG-1234); shown to approvers, recorded, and required where the policy says 'ticket'.")
    var ticket: String = ""

    @Option(help: ArgumentHelp("How long to wait for a decision, e.g. 90s, 15m, 2h (default: forever on a terminal, 30m otherwise).", valueName: "duration"))
    var timeout: String?

    @Option(name: .customLong("token"), help: ArgumentHelp("A pre-issued approval token, or @FILE holding one; repeat for several (also GATE_TOKEN).", valueName: "token"))
    var tokens: [String] = []

    @Flag(help: "Run now without approval where the policy permits break-glass; needs --reason and leaves an after-review item.")
    var breakGlass = false

    @Option(help: ArgumentHelp("Ask for approval through this gate server (default: $GATE_SERVER; unset: this host's state directory).", valueName: "url"))
    var server: String?

    @Flag(help: "File the request and end at once: print its id on standard output and exit 75 (pending); a later 'gate run --request ID -- CMD' picks up the decision.")
    var noWait = false

    @Option(name: .customLong("request"), help: ArgumentHelp("Run the command of this earlier request once it is approved; it waits while the request is pending, unless told not to wait (then exit 75). The command must be exactly the one it was filed for.", valueName: "id"))
    var pickUp: String?

    @Option(help: ArgumentHelp("Write how the run ended to FILE as JSON (outcome, request_id, approvers, exit_code or signal, code, message), whatever the outcome.", valueName: "file"))
    var jsonStatus: String?

    @Argument(parsing: .postTerminator, help: "The command and its arguments.")
    var command: [String] = []

    func run() throws {
        var inv = RunInvocation()
        (inv.reason, inv.ticket, inv.timeout, inv.tokens, inv.breakGlass) = (reason, ticket, timeout, tokens, breakGlass)
        (inv.server, inv.noWait, inv.pickUp, inv.jsonStatus, inv.command) = (server, noWait, pickUp, jsonStatus, command)
        try inv.execute()
    }
}
