import ArgumentParser
import GateMCP
import GateSystem

/// `gate mcp`: gate as a Model Context Protocol server on stdio, for agent hosts.
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve gate to an agent host over MCP on stdio (tools: run, explain, status).",
        discussion: """
            JSON-RPC 2.0 lines on standard input and output (MCP revisions 2024-11-05 to 2025-11-25). \
            The run tool takes the same path as gate -- ARGV (policy, intent, approval, verified token, \
            ledger), in a child of this process, with standard input /dev/null and its output captured; \
            while it waits for approval it sends progress notifications, and an MCP cancellation withdraws \
            the request as Ctrl-C does. The requester is the unix user running gate mcp; the agent label \
            is --agent (else GATE_AGENT). There is no approve tool. When standard input closes, running \
            calls are withdrawn and gate mcp exits.
            """)

    @Option(help: ArgumentHelp("The agent label recorded with each request (default: $GATE_AGENT).", valueName: "name")) var agent: String?
    @Option(help: ArgumentHelp("Bytes of a command's stdout and of its stderr returned to the agent; the rest is dropped and flagged.", valueName: "bytes"))
    var maxOutput: Int = 256 << 10

    func run() throws {
        guard maxOutput >= 0 && maxOutput <= 16 << 20 else { throw GateFailure.usage("--max-output must be from 0 to 16777216 bytes") }
        let label = agent ?? System.envNonEmpty("GATE_AGENT")
        if let label, label.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) { throw GateFailure.usage("--agent must be printable text") }
        var server = try MCPServerLoop(agent: label, maxOutput: maxOutput)
        try server.serve()
    }
}
