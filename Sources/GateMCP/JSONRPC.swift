import GateWire

/// JSON-RPC 2.0 as MCP's stdio transport carries it: one message per line, UTF-8, no embedded
/// newlines (SPEC.md §12). Parsing never traps: anything that is not a request or a notification
/// is an `invalid` message with the error to answer (when it has an id to answer to).
public enum RPCMessage: Equatable, Sendable {
    case request(id: JSON, method: String, params: JSON)
    case notification(method: String, params: JSON)
    /// A response from the client (gate sends no requests, so it is ignored).
    case response
    case invalid(id: JSON, error: RPCError)
}

public struct RPCError: Error, Equatable, Sendable {
    public var code: Int64
    public var message: String
    public init(_ code: Int64, _ message: String) { self.code = code; self.message = message }

    public static let parseError: Int64 = -32700
    public static let invalidRequest: Int64 = -32600
    public static let methodNotFound: Int64 = -32601
    public static let invalidParams: Int64 = -32602
    public static let internalError: Int64 = -32603
}

public enum JSONRPC {
    /// The longest line gate reads: a tool call carries an argv, not a file.
    public static let maximumLine = 1 << 20

    public static func parse(_ line: String) -> RPCMessage {
        let value: JSON
        do { value = try JSON.parse(line) } catch { return .invalid(id: .null, error: RPCError(RPCError.parseError, "parse error: \(error)")) }
        guard case .object = value else { return .invalid(id: .null, error: RPCError(RPCError.invalidRequest, "a message is a JSON object")) }
        let id = value["id"]
        if let id, !isValidID(id) { return .invalid(id: .null, error: RPCError(RPCError.invalidRequest, "id must be a string or a number")) }
        guard value["jsonrpc"] == .string("2.0") else {
            return .invalid(id: id ?? .null, error: RPCError(RPCError.invalidRequest, "jsonrpc must be \"2.0\""))
        }
        guard let method = value["method"] else {
            if value["result"] != nil || value["error"] != nil { return .response }
            return .invalid(id: id ?? .null, error: RPCError(RPCError.invalidRequest, "no method"))
        }
        guard case .string(let name) = method else {
            return .invalid(id: id ?? .null, error: RPCError(RPCError.invalidRequest, "method must be a string"))
        }
        let params = value["params"] ?? .object([])
        switch params {
        case .object, .array: break
        default: return .invalid(id: id ?? .null, error: RPCError(RPCError.invalidRequest, "params must be an object"))
        }
        guard let id else { return .notification(method: name, params: params) }
        return .request(id: id, method: name, params: params)
    }

    static func isValidID(_ id: JSON) -> Bool {
        switch id {
        case .string, .int, .number: return true
        default: return false
        }
    }

    public static func result(_ id: JSON, _ result: JSON) -> String {
        JSON.object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)]).serialized()
    }

    public static func error(_ id: JSON, _ e: RPCError) -> String {
        JSON.object([("jsonrpc", .string("2.0")), ("id", id), ("error", .object([("code", .int(e.code)), ("message", .string(e.message))]))]).serialized()
    }

    public static func notification(_ method: String, _ params: JSON) -> String {
        JSON.object([("jsonrpc", .string("2.0")), ("method", .string(method)), ("params", params)]).serialized()
    }
}
