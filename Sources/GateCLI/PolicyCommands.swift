import ArgumentParser
import GateCore
import GateWire
import GateSystem
import GateStore
import GateViews
import GateFlows
import GateRun

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Check a policy, or explain what it says about a command.",
                                                    subcommands: [PolicyCheckCommand.self, PolicyExplainCommand.self])
}

struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Validate a policy: line-numbered errors (exit 78) and warnings.",
        discussion: "Checks the file's permissions as gate does before trusting it, parses it, and warns about rules that can never apply, unused groups, approvers whose approvals never count, and allow rules that let a shell run anything.")

    @Argument(help: "The policy file (default: $GATE_POLICY or $GATE_HOME/policy).") var file: String?
    @Flag(help: "Machine-readable output.") var json = false

    func run() throws {
        let path = try file.map(Paths.expandTilde) ?? GateEnvironment.current().policyPath
        let policy = try PolicyLoader.load(path)
        System.write(1, json ? PolicyViews.checkJSON(policy, path: path).serialized(pretty: true) + "\n" : PolicyViews.checkText(policy, path: path))
    }
}

struct PolicyExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Say which rule matches a command and what it would need, without running anything.")

    @Option(name: .customLong("as"), help: "Explain for this requester (a unix user name) instead of you.") var user: String?
    @Option(help: "Explain for this agent label (default: $GATE_AGENT).") var agent: String?
    @Flag(help: "Machine-readable output.") var json = false
    @Argument(parsing: .postTerminator, help: "The command and its arguments.") var command: [String] = []

    func run() throws {
        guard !command.isEmpty else { throw GateFailure.usage("no command given", hint: "gate policy explain -- COMMAND [ARG...]") }
        let env = try GateEnvironment.current()
        let policy = try PolicyLoader.load(env.policyPath)
        var identity = IntentCapture.Identity.current()
        if let user { identity.user = user }
        if let agent { identity.agent = agent }
        let captured = try IntentCapture.capture(argv: command, identity: identity, trustedPath: policy.trustedPath)
        let explanation = PolicyViews.explain(policy, MatchContext(intent: captured.intent, trustedAliases: captured.aliases,
                                                                   environment: { System.env($0) }))
        System.write(1, json ? PolicyViews.explainJSON(explanation).serialized(pretty: true) + "\n" : PolicyViews.explainText(explanation, policy: policy))
    }
}

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Sign the after-review of a break-glass run (it then leaves 'gate list').")

    @OptionGroup var common: DecisionOptions
    @Option(help: "What you found; recorded with the review.") var comment: String = ""

    func run() throws {
        var options = DecideFlow.Options(request: common.id, decision: .approve)
        options.review = true
        options.keyPath = common.key
        options.comment = comment
        let result = try DecideFlow.run(options)
        Diagnostics.note("reviewed \(result.request.id) as \(result.approver)")
    }
}
