import GateCore
import GateFlows
import GateStore
import GateSystem
import GateWire
import Glibc

/// `gate hook claude-code`: Claude Code's PreToolUse hook protocol (JSON on stdin: tool_name,
/// tool_input.command, tool_input.description, cwd; JSON on stdout: hookSpecificOutput with
/// permissionDecision, permissionDecisionReason, updatedInput). Reached without argument-parser
/// (GateMain's fast path): it runs on every tool call an agent makes.
package enum ClaudeCodeHook {
    package static func run() throws -> Never {
        var input: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while input.count <= 1 << 20 {
            let n = read(0, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            input += chunk[0..<n]
        }
        if let answer = answer(input) { System.write(1, answer.serialized() + "\n") }
        exit(0)
    }

    /// The answer to one envelope, nil for a tool this hook does not judge.
    static func answer(_ input: [UInt8]) -> JSON? {
        guard input.count <= 1 << 20, let text = String(validating: input, as: UTF8.self), let envelope = try? JSON.parse(text),
              case .object = envelope else {
            return deny("gate: the hook input is not a JSON object; denied (fail closed)")
        }
        guard let tool = envelope["tool_name"]?.stringValue else { return deny("gate: the hook input names no tool_name; denied (fail closed)") }
        guard tool == "Bash" else { return nil }
        guard case .object(let toolInput)? = envelope["tool_input"], let command = envelope["tool_input"]?["command"]?.stringValue,
              !command.trimmingASCIIWhitespace().isEmpty else {
            return deny("gate: the Bash call has no command; denied (fail closed)")
        }
        do {
            return try judge(command, description: envelope["tool_input"]?["description"]?.stringValue ?? "",
                             cwd: envelope["cwd"]?.stringValue, toolInput: toolInput)
        } catch let f as GateFailure {
            return deny("gate: \(f.message); denied (fail closed)")
        } catch {
            return deny("gate: \(error); denied (fail closed)")
        }
    }

    static func judge(_ command: String, description: String, cwd: String?, toolInput: [(String, JSON)]) throws -> JSON {
        let words = ShellWords.split(command)
        if let cwd, chdir(cwd) != 0 { throw GateFailure.usage("cannot use the call's cwd \(cwd): \(System.errnoString())") }
        if let words, words[0] == "gate" || words[0].hasSuffix("/gate") {
            // Only this gate passes: a `gate` the agent put first on its PATH is any program. It
            // is found as gate finds any command (the agent's PATH, an empty entry being the cwd).
            let named = (try? ExecutableResolver.resolve(words[0], cwd: try System.currentDirectory())).flatMap(Paths.real)
            guard let named, named == Self.gatePath else {
                return deny("gate: '\(words[0])' here is \(named ?? "not found"), not this gate (\(Self.gatePath)); denied")
            }
            if let why = Self.notForAgents(Array(words.dropFirst())) { return deny(why) }
            return decision("allow", "gate: already a gate command", updated: nil)
        }
        let argv = words ?? ["sh", "-c", command]
        let policyPath = System.envNonEmpty("GATE_SOCKET") != nil ? GateEnvironment.daemonPolicyPath : try GateEnvironment.current().policyPath
        let policy = try PolicyLoader.load(policyPath)
        let captured = try IntentCapture.capture(argv: argv, identity: .current(), trustedPath: policy.trustedPath)
        let d = policy.decide(MatchContext(intent: captured.intent, trustedAliases: captured.aliases, environment: { System.env($0) }))
        let how = words == nil ? ", as sh -c (it has shell syntax)" : ""
        let gate = Self.gatePath
        func rewritten(_ prefix: [String], timeoutMs: Int64? = nil) -> JSON {
            var fields = toolInput.filter { $0.0 != "command" && ($0.0 != "timeout" || timeoutMs == nil) }
            fields.insert(("command", .string(ShellQuote.join([gate] + prefix + ["--"] + argv))), at: 0)
            if let timeoutMs { fields.append(("timeout", .int(timeoutMs))) }
            return .object(fields)
        }
        switch d.action {
        case .allow:
            return decision("allow", "gate: allowed by policy (\(d.rule))\(how); runs under gate and is recorded",
                            updated: rewritten([]))
        case .deny(let message):
            return deny("gate: denied by policy (\(d.rule))\(how)" + (message.map { ": \($0)" } ?? ""))
        case .require(let requirements):
            let needs = requirements.map(\.description).joined(separator: " and ")
            if d.options.ticketRequired {
                return deny("gate: the policy (\(d.rule)) needs \(needs) and a ticket for this command: run it as gate --ticket CHG-… --reason '…' -- \(ShellQuote.join(argv))")
            }
            if d.options.reasonRequired && description.trimmingASCIIWhitespace().isEmpty {
                return deny("gate: the policy (\(d.rule)) needs \(needs) and a reason: give the call a description, or run gate --reason '…' -- \(ShellQuote.join(argv))")
            }
            // The Bash tool's longest timeout (10 minutes) for approvers, less a margin, after
            // which gate withdraws the request itself (exit 75) instead of being killed.
            let waitSeconds = 590
            var prefix = ["--timeout", "\(waitSeconds)s"]
            if !description.isEmpty { prefix = ["--reason", description] + prefix }
            return decision("allow", "gate: needs \(needs) (policy \(d.rule))\(how): the command now waits up to \(waitSeconds / 60) minutes for an approver (they run gate approve with the request id it prints); denied or unanswered, it does not run (exit 77 or 75)",
                            updated: rewritten(prefix, timeoutMs: 600_000))
        }
    }

    static func decision(_ verdict: String, _ reason: String, updated: JSON?) -> JSON {
        var inner: [(String, JSON)] = [("hookEventName", .string("PreToolUse")), ("permissionDecision", .string(verdict)),
                                       ("permissionDecisionReason", .string(reason))]
        if let updated { inner.append(("updatedInput", updated)) }
        return .object([("hookSpecificOutput", .object(inner))])
    }

    static func deny(_ reason: String) -> JSON { decision("deny", ShellQuote.inert(reason), updated: nil) }

    /// What an agent may ask gate for itself: a run (`gate [run] [OPTIONS] -- ARGV`, which gate
    /// judges as it judges any run) and the commands that only read. Deciding requests, keys,
    /// break-glass and the services are people's; nil when `args` may pass.
    static func notForAgents(_ args: [String]) -> String? {
        let reading: Set<String> = ["list", "show", "status", "wait", "cancel", "whoami", "log", "policy", "help", "--help", "-h", "--version"]
        guard let first = args.first else { return "gate: 'gate' alone runs nothing; denied" }
        if reading.contains(first) { return nil }
        guard first == "run" || first.hasPrefix("-"), args.contains("--") else {
            return "gate: an agent does not run 'gate \(ShellQuote.inert(first))': approving, denying, reviewing, keys and gate's services are for people; gate -- ARGV and the read-only commands (list, show, status, wait, explain) pass"
        }
        let options = args[..<args.firstIndex(of: "--")!]
        if options.contains(where: { $0 == "--break-glass" || $0.hasPrefix("--break-glass=") }) {
            return "gate: break-glass is for people: an agent asks for approval instead; denied"
        }
        return nil
    }

    /// This gate, by absolute path: the rewritten command must not depend on the agent's PATH.
    static var gatePath: String { Paths.real("/proc/self/exe") ?? "gate" }
}
