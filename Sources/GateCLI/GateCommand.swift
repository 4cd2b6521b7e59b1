import ArgumentParser
import Glibc
import GateSystem
import GateClient
import GateRun

/// The root command. `gate -- CMD` is `gate run -- CMD`.
public struct GateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Put a human decision in front of a privileged command.",
        discussion: """
            gate captures exactly what a command would do (argv, the resolved executable and its \
            BLAKE2b digest, cwd, requester, host), asks an approver, and runs it only after \
            verifying a signed Ed25519 approval bound to that exact intent: not expired, not used \
            before, not signed by the requester, signed by a key the policy trusts. Every request, \
            decision, refusal and run is appended to a hash-chained audit ledger.

            RUN: gate [run] [OPTIONS] -- COMMAND [ARG...] runs COMMAND once the policy's approvals \
            are verified (the -- is required). --reason TEXT why (shown to approvers, recorded); \
            --ticket ID a change ticket; --timeout DURATION how long to wait for a decision (default: \
            forever on a terminal, 30m otherwise); --token TOKEN|@FILE a pre-issued approval \
            (repeatable; also GATE_TOKEN); --break-glass run at once where the policy permits it, \
            with --reason; --server URL ask through a gate server; --no-wait file the request, print \
            its id and exit 75; --request ID run that earlier request once it is approved; \
            --json-status FILE write how the run ended as JSON. 'gate help run' has the details; \
            'gate status ID', 'gate wait ID' and 'gate cancel ID' follow a filed request.

            EXIT STATUS: the command's own status when it ran (128+N if it died of signal N); \
            64 usage; 65 damaged state database or ledger, or a malformed answer from the gate server; 69 \
            the gate server cannot be reached, no ledger key yet (audit key), or gate-commands or \
            gate-server missing beside gate; 70 \
            internal error; 74 input/output error: output could not be written (a full disk during an export), the state database could not be written (a full disk: nothing runs), or a command ran but its end could not be recorded; 75 approval timed \
            out or cancelled, or the request is pending (--no-wait, gate wait); 77 denied or not permitted (policy, approver, failed verification); \
            78 configuration (policy, key file, state directory); 126 not executable; 127 not found.

            ENVIRONMENT: GATE_HOME state directory (default $XDG_STATE_HOME/gate, i.e. \
            ~/.local/state/gate); GATE_POLICY policy file (default $GATE_HOME/policy, see \
            gate-policy(5)); GATE_KEY approver secret key (default ~/.config/gate/key); GATE_TOKEN \
            a pre-issued token or @FILE; GATE_AGENT label of an agent acting for the user (with it set, approve, deny and review \
            refuse: decisions are people's); \
            GATE_PASSPHRASE_FILE file holding a key passphrase (mode 0600) for non-interactive \
            use; GATE_SERVER URL of a gate server (remote mode: requests, list, show, approve, \
            deny and checkpoint copies go through it; also --server); GATE_REQUESTER_KEY this \
            host's requester key for the server (default ~/.config/gate/requester.key); \
            GATE_SERVER_CA a PEM file of certificate authorities to trust for an https gate \
            server, besides the system's; GATE_SOCKET the gate daemon's socket (daemon mode: run, \
            list, show, log, approve and deny go through it; see DAEMON); GATE_WEBHOOK, \
            GATE_SLACK_WEBHOOK URLs a new request is announced to in local mode (the gate server's \
            payloads, SPEC.md 9.4), signed with the key in the file GATE_WEBHOOK_SECRET; NO_COLOR \
            disables colour.

            DAEMON: gate daemon (a system service, run as root) owns the state directory, the ledger \
            and its key, and starts approved commands itself: as the rule's as= user, else as the \
            requester, with the requester's terminal or pipes as stdio and a fresh environment (what \
            the policy keeps). The requester is the socket's peer credentials and needs no access to \
            anything of gate's; an approval counts only when the key's policy user submits it. \
            Without the daemon, gate runs the command as whoever runs gate: a guardrail for \
            cooperative agents, since they could run it without gate. A rule with as= is refused \
            there.

            FILES: $GATE_HOME/state.db holds pending requests, tokens, the ledger and its signed \
            checkpoints (SQLite, WAL); $GATE_HOME/ledger.key signs checkpoints (made on first use, \
            0600); $GATE_HOME/ledger.head is the newest checkpoint, so that a lost state.db-wal or a \
            database restored alone is noticed (gate records nothing on a shorter chain: exit 65). \
            Formats are specified in SPEC.md. The gate executable itself runs gate [run] [OPTIONS] \
            -- COMMAND, gate hook claude-code and gate --version; every other command line is handed \
            unchanged to the gate-commands executable installed beside it (exit 69 if it is missing), \
            as gate serve is to gate-server.
            """,
        version: GateVersion.string,
        subcommands: [RunCommand.self, KeygenCommand.self, ListCommand.self, ShowCommand.self, ApproveCommand.self,
                      DenyCommand.self, ReviewCommand.self, StatusCommand.self, WaitCommand.self, CancelCommand.self, WhoamiCommand.self, LogCommand.self, MCPCommand.self, HookCommand.self, AuditCommand.self, PolicyCommand.self, ServeCommand.self,
                      DaemonCommand.self],
        defaultSubcommand: RunCommand.self
    )

    public init() {}
}


/// gate-commands: every command line, argument-parser's included. `gate` hands it what its hot
/// path does not take (RunMain); the hot path is taken here too, the same way.
public enum GateMain {
    public static func main() -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        exitAfter(arguments: arguments) {
            if let hot = RunMain.hotPath(arguments) { try hot() }
            try UsageHints.checkHelp(arguments)
            var command = try GateCommand.parseAsRoot()
            try command.run()
        }
    }

    /// Runs `body` as gate runs a command line: every failure becomes its line on stderr and its
    /// documented exit status (also in a `gate mcp` tool call's forked child).
    static func exitAfter(arguments: [String], _ body: () throws -> Void) -> Never {
        do {
            try body()
            exit(0)
        } catch {
            if let status = RunMain.report(error) { exit(status) }
            let code = GateCommand.exitCode(for: error)
            if code == .success {
                System.write(1, GateCommand.fullMessage(for: error) + "\n")
                exit(0)
            }
            let message = GateCommand.message(for: error)
            if let better = UsageHints.explain(arguments, parserMessage: message) {
                Diagnostics.error(better.message, hint: better.hint)
                exit(better.exitCode.rawValue)
            }
            Diagnostics.error(message.isEmpty ? "invalid arguments" : message, hint: "see 'gate --help'")
            exit(code.rawValue == 1 ? GateSystem.ExitCode.usage.rawValue : code.rawValue)
        }
    }
}
