import GateMCP
import GateWire
import Testing

/// `gate mcp`'s protocol without I/O: every malformed line is an error reply, never a trap.
@Suite struct MCPProtocolTests {
    @Test(arguments: [
        ("{", RPCError.parseError), ("[]", RPCError.invalidRequest), ("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", RPCError.invalidRequest),
        ("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", RPCError.invalidRequest), ("{\"jsonrpc\":\"2.0\",\"id\":1}", RPCError.invalidRequest),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", RPCError.invalidRequest), ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":3}", RPCError.invalidRequest),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/list\"}", RPCError.methodNotFound),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}", RPCError.invalidParams),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"approve\",\"arguments\":{}}}", RPCError.invalidParams),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"run\",\"arguments\":{\"argv\":[]}}}", RPCError.invalidParams),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"run\",\"arguments\":{\"argv\":[1]}}}", RPCError.invalidParams),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"run\",\"arguments\":{\"argv\":[\"ls\"],\"timeout_seconds\":0}}}", RPCError.invalidParams),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"run\",\"arguments\":{\"argv\":[\"ls\"],\"sudo\":true}}}", RPCError.invalidParams),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"run\",\"arguments\":{\"argv\":[\"a\\u0000b\"]}}}", RPCError.invalidParams),
    ])
    func malformedMessagesGetAnErrorReply(_ line: String, _ code: Int64) throws {
        var session = MCPSession(serverVersion: "test")
        guard case .reply(let reply) = session.handle(line) else { Issue.record("no reply to \(line)"); return }
        let json = try JSON.parse(reply)
        #expect(json["error"]?["code"]?.intValue == code, "\(line) → \(reply)")
    }

    @Test func theHandshakeNegotiatesARevisionAndListsThreeTools() throws {
        var session = MCPSession(serverVersion: "test")
        guard case .reply(let r) = session.handle("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}") else {
            Issue.record("no reply"); return
        }
        #expect(try JSON.parse(r)["result"]?["protocolVersion"] == .string("2025-06-18"))
        guard case .reply(let newer) = session.handle("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2099-01-01\"}}") else { return }
        #expect(try JSON.parse(newer)["result"]?["protocolVersion"] == .string(MCPSession.versions[0]))
        guard case .reply(let tools) = session.handle("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}") else { return }
        let names = try JSON.parse(tools)["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["run", "explain", "status"])
        #expect(session.handle("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":9}}") == .cancel(requestID: .int(9)))
        let call = session.handle("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"run\",\"arguments\":{\"argv\":[\"ls\",\"-l\"],\"timeout_seconds\":60},\"_meta\":{\"progressToken\":\"p\"}}}")
        var args = MCPTools.RunArguments(argv: ["ls", "-l"], cwd: nil)
        args.timeoutSeconds = 60
        #expect(call == .call(id: .int(4), .run(args), progressToken: .string("p")))
    }
}
