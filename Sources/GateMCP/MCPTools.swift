import GateWire

/// The tools `gate mcp` offers an agent, their JSON schemas, and the checked form of their
/// arguments. There is no tool that approves: an agent asks, people decide.
public enum MCPTools {
    public struct RunArguments: Equatable, Sendable {
        public var argv: [String]
        public var cwd: String?
        public var reason = ""
        public var ticket = ""
        public var timeoutSeconds: Int64?
        public init(argv: [String], cwd: String?) { self.argv = argv; self.cwd = cwd }
    }

    public enum Call: Equatable, Sendable {
        case run(RunArguments)
        case explain(argv: [String], cwd: String?)
        case status(id: String)
    }

    static func string(_ description: String) -> JSON { .object([("type", .string("string")), ("description", .string(description))]) }
    static let argv: JSON = .object([("type", .string("array")), ("items", .object([("type", .string("string"))])), ("minItems", .int(1)),
                                     ("description", .string("The command and its arguments, as a list: never parsed by a shell."))])
    static func schema(_ properties: [(String, JSON)], required: [String]) -> JSON {
        .object([("type", .string("object")), ("properties", .object(properties)), ("required", .array(required.map(JSON.string))),
                 ("additionalProperties", .bool(false))])
    }
    static func nullable(_ type: String) -> JSON { .object([("type", .array([.string(type), .string("null")]))]) }

    public static let list: JSON = .array([
        .object([
            ("name", .string("run")),
            ("title", .string("Run a command through gate")),
            ("description", .string("Runs argv exactly as `gate -- argv` would: the policy decides; a command that needs approval waits for a person (progress says who and how: gate approve ID) and runs only after a verified approval. Everything is recorded in gate's ledger. Returns the outcome: ran (exit_code or signal, stdout, stderr), denied, refused, timeout or cancelled.")),
            ("inputSchema", schema([("argv", argv), ("cwd", string("Directory to run in (default: the server's).")),
                                    ("reason", string("Why; shown to approvers and recorded.")),
                                    ("ticket", string("A change or incident ticket, where the policy asks for one.")),
                                    ("timeout_seconds", .object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(31_622_400)),
                                                                 ("description", .string("How long to wait for a decision (default 30 minutes)."))]))],
                                   required: ["argv"])),
            ("outputSchema", .object([("type", .string("object")), ("properties", .object([
                ("outcome", .object([("type", .string("string")), ("enum", .array(["ran", "denied", "refused", "timeout", "cancelled", "pending"].map(JSON.string)))])),
                ("request_id", nullable("string")), ("exit_code", nullable("integer")), ("signal", nullable("integer")),
                ("stdout", .object([("type", .string("string"))])), ("stderr", .object([("type", .string("string"))])),
                ("stdout_truncated", .object([("type", .string("boolean"))])), ("stderr_truncated", .object([("type", .string("boolean"))])),
                ("duration_ms", .object([("type", .string("integer"))])), ("approvers", .object([("type", .string("array")), ("items", .object([("type", .string("string"))]))])),
                ("by", nullable("string")), ("reason", nullable("string")), ("code", nullable("string")), ("message", nullable("string")),
            ])), ("required", .array([.string("outcome")]))])),
        ]),
        .object([
            ("name", .string("explain")),
            ("title", .string("What would gate's policy do?")),
            ("description", .string("Says which policy rule matches argv and everything it requires (approvals and from whom, reason, ticket, context, bound files and variables, approval ttl), without running or recording anything.")),
            ("inputSchema", schema([("argv", argv), ("cwd", string("Directory the command would run in."))], required: ["argv"])),
        ]),
        .object([
            ("name", .string("status")),
            ("title", .string("Where does a gate request stand?")),
            ("description", .string("A request's state (pending, approved, denied, finished, cancelled, …) and its decisions so far.")),
            ("inputSchema", schema([("id", string("The request id, e.g. 7K3F-Q2XZ."))], required: ["id"])),
        ]),
    ])

    /// The checked call, or the JSON-RPC error for a malformed one.
    public static func parse(_ params: JSON) throws(RPCError) -> Call {
        guard case .string(let name) = params["name"] ?? .null else { throw RPCError(RPCError.invalidParams, "tools/call needs a tool name") }
        let args = params["arguments"] ?? .object([])
        guard case .object(let pairs) = args else { throw RPCError(RPCError.invalidParams, "arguments must be an object") }
        func allowed(_ keys: Set<String>) throws(RPCError) {
            if let extra = pairs.first(where: { !keys.contains($0.0) }) { throw RPCError(RPCError.invalidParams, "\(name): unknown argument '\(extra.0)'") }
        }
        func text(_ key: String) throws(RPCError) -> String? {
            switch args[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw RPCError(RPCError.invalidParams, "\(name): \(key) must be a string")
            }
        }
        func argvList() throws(RPCError) -> [String] {
            guard case .array(let items) = args["argv"] ?? .null, !items.isEmpty else {
                throw RPCError(RPCError.invalidParams, "\(name): argv must be a non-empty list of strings")
            }
            var out: [String] = []
            for case let item in items {
                guard case .string(let s) = item else { throw RPCError(RPCError.invalidParams, "\(name): every argv item must be a string") }
                guard !s.utf8.contains(0) else { throw RPCError(RPCError.invalidParams, "\(name): an argument holds a NUL byte") }
                out.append(s)
            }
            guard out.count <= 4096, out.reduce(0, { $0 + $1.utf8.count }) <= 256 << 10 else {
                throw RPCError(RPCError.invalidParams, "\(name): at most 4096 arguments and 256 KiB of them")
            }
            return out
        }
        switch name {
        case "run":
            try allowed(["argv", "cwd", "reason", "ticket", "timeout_seconds"])
            var r = RunArguments(argv: try argvList(), cwd: try text("cwd"))
            r.reason = try text("reason") ?? ""
            r.ticket = try text("ticket") ?? ""
            switch args["timeout_seconds"] {
            case nil, .null?: break
            case .int(let n)? where n >= 1 && n <= 31_622_400: r.timeoutSeconds = n
            default: throw RPCError(RPCError.invalidParams, "run: timeout_seconds must be a whole number from 1 to 31622400")
            }
            return .run(r)
        case "explain":
            try allowed(["argv", "cwd"])
            return .explain(argv: try argvList(), cwd: try text("cwd"))
        case "status":
            try allowed(["id"])
            guard let id = try text("id"), !id.isEmpty else { throw RPCError(RPCError.invalidParams, "status: id is required") }
            return .status(id: id)
        default:
            throw RPCError(RPCError.invalidParams, "unknown tool '\(name)' (gate offers run, explain and status)")
        }
    }
}
