import ArgumentParser
import GateCore
import GateFlows
import GateStore
import GateSystem
import GateWire
import Glibc
import GateRun

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Agent hooks: judge an agent's tool call by gate's policy before it runs.",
        subcommands: [ClaudeCodeHookCommand.self])
}

struct ClaudeCodeHookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claude-code", abstract: "A Claude Code PreToolUse hook for the Bash tool (reads the hook's JSON on stdin).",
        discussion: """
            Allowed commands are rewritten to run under gate -- (so they are recorded); denied ones are \
            denied with the policy's message; ones that need approval are rewritten to gate --reason \
            DESCRIPTION -- ARGV, so the Bash tool waits on a real, bound approval. A command with shell \
            syntax is judged as sh -c STRING. Anything that cannot be read or judged is denied. Other \
            tools get no answer (Claude Code's own permissions apply): match the hook to Bash. In \
            ~/.claude/settings.json or a project's .claude/settings.json: {"hooks": {"PreToolUse": \
            [{"matcher": "Bash", "hooks": [{"type": "command", "command": "gate hook claude-code"}]}]}}
            """)
    func run() throws { try ClaudeCodeHook.run() }
}
