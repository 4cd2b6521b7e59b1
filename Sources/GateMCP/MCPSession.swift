import GateWire

/// The protocol side of `gate mcp`, with no I/O: each line from the client becomes an action
/// (a reply to write, a tool call to start, a call to cancel). The handshake revisions
/// (`initialize`) are spoken; a client offering another gets the newest of them.
public struct MCPSession: Sendable {
    public static let versions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    public var version = MCPSession.versions[0]
    public var initialized = false
    let serverVersion: String

    public init(serverVersion: String) { self.serverVersion = serverVersion }

    public enum Action: Equatable, Sendable {
        case reply(String)
        case call(id: JSON, MCPTools.Call, progressToken: JSON?)
        case cancel(requestID: JSON)
        case none
    }

    public mutating func handle(_ line: String) -> Action {
        switch JSONRPC.parse(line) {
        case .invalid(let id, let e):
            return .reply(JSONRPC.error(id, e))
        case .response:
            return .none
        case .notification(let method, let params):
            switch method {
            case "notifications/initialized": initialized = true
            case "notifications/cancelled": if let id = params["requestId"], JSONRPC.isValidID(id) { return .cancel(requestID: id) }
            default: break
            }
            return .none
        case .request(let id, let method, let params):
            switch method {
            case "initialize":
                if case .string(let offered) = params["protocolVersion"] ?? .null, Self.versions.contains(offered) { version = offered } else { version = Self.versions[0] }
                return .reply(JSONRPC.result(id, .object([
                    ("protocolVersion", .string(version)),
                    ("capabilities", .object([("tools", .object([("listChanged", .bool(false))]))])),
                    ("serverInfo", .object([("name", .string("gate")), ("title", .string("gate: human approval for privileged commands")),
                                            ("version", .string(serverVersion))])),
                    ("instructions", .string("Run privileged commands with the run tool instead of a shell: gate's policy decides, commands that need approval wait for a person, and everything is recorded. Use explain first to learn what a command needs (reason, ticket, approvers).")),
                ])))
            case "ping":
                return .reply(JSONRPC.result(id, .object([])))
            case "tools/list":
                return .reply(JSONRPC.result(id, .object([("tools", MCPTools.list)])))
            case "tools/call":
                do {
                    let call = try MCPTools.parse(params)
                    return .call(id: id, call, progressToken: params["_meta"]?["progressToken"])
                } catch {
                    return .reply(JSONRPC.error(id, error))
                }
            default:
                return .reply(JSONRPC.error(id, RPCError(RPCError.methodNotFound, "gate does not offer '\(method)'")))
            }
        }
    }
}

/// What a finished tool call returns (CallToolResult): the structured outcome, and the same as
/// text for clients that read only `content`.
public enum MCPResults {
    public static func tool(_ structured: JSON, isError: Bool) -> JSON {
        .object([("content", .array([.object([("type", .string("text")), ("text", .string(structured.serialized()))])])),
                 ("structuredContent", structured), ("isError", .bool(isError))])
    }

    /// gate's own `gate: error: …` line (the last, if several), without its prefix.
    public static func gateError(in stderr: String) -> String? {
        stderr.split(separator: "\n").last { $0.hasPrefix("gate: error: ") }.map { String($0.dropFirst(13)) }
    }

    /// `run`'s outcome from gate's own `--json-status` report (nil: gate ended without one) and
    /// the captured output.
    public static func run(report: JSON?, stdout: String, stderr: String, stdoutTruncated: Bool, stderrTruncated: Bool,
                           durationMs: Int64, exitStatus: Int32) -> JSON {
        let outcome = report?["outcome"]?.stringValue ?? "refused"
        var fields: [(String, JSON)] = [("outcome", .string(outcome)), ("request_id", report?["request_id"] ?? .null)]
        switch outcome {
        case "ran":
            fields += [("exit_code", report?["exit_code"] ?? .null), ("signal", report?["signal"] ?? .null),
                       ("approvers", report?["approvers"] ?? .array([]))]
        case "denied":
            fields += [("by", report?["denied_by"] ?? .null), ("reason", report?["message"] ?? .null)]
        default:
            fields += [("code", report?["code"] ?? (report == nil ? .string("internal") : .null)),
                       ("message", report?["message"] ?? gateError(in: stderr).map(JSON.string) ?? .string("gate ended with status \(exitStatus) and no report"))]
        }
        fields += [("stdout", .string(stdout)), ("stderr", .string(stderr)), ("stdout_truncated", .bool(stdoutTruncated)),
                   ("stderr_truncated", .bool(stderrTruncated)), ("duration_ms", .int(durationMs))]
        return tool(.object(fields), isError: outcome != "ran")
    }
}
