import GateClient
import GateCore
import GateCrypto
import GateStore
import GateSystem
import GateWire
import Testing

/// The transfer form of a request, and the pure parts of the client's HTTP parsing.
@Suite struct ClientWireTests {
    /// A malformed answer is exit 65 (gate --help) and, on a refused run, still the refusal code
    /// `server-unavailable` (SPEC's table): the code word a reader filters on did not change.
    @Test func aMalformedAnswerIsDataErrorRecordedAsServerUnavailable() {
        let f = RemoteClient.failure(.malformed("no end of headers"), url: "http://h:1")
        #expect(f.exitCode == .dataError && f.refusalCode == .serverUnavailable && f.message.contains("malformed answer"))
        let down = RemoteClient.failure(.unreachable("connection refused"), url: "http://h:1")
        #expect(down.exitCode == .unavailable && down.refusalCode == .serverUnavailable)
    }

    @Test func requestsTravelIntactAndBlobsMustMatchTheirDigests() throws {
        let intent = Intent(argv: ["/bin/echo", "a b", "<x>"], executable: "/bin/echo", executableDigest: Array(repeating: 1, count: 32),
                            cwd: "/srv", user: "ci", uid: 1000, agent: "bot", host: "runner-1",
                            boundFiles: [.init(path: "/srv/plan", digest: Array(repeating: 2, count: 32))])
        var r = RequestRecord(id: RequestID("7K3FQ2XZ")!, createdMicros: 5, intent: intent)
        r.reason = "why"
        r.rule = "line 3"
        r.requirements = [.init(count: 2, group: "sre"), .init(count: 1, group: "dba")]
        r.policyDigest = [7, 7]
        r.expiresMicros = 99
        r.approvalTTL = 600
        r.ticket = "CHG-1"
        r.context = .object([("environment", .array([]))])
        let blob: (digest: [UInt8], data: [UInt8]) = (BLAKE2b.hash(Array("plan".utf8)), Array("plan".utf8))
        let j = try JSON.parse(RequestTransfer.encode(r, tokens: ["gate1.x"], blobs: [blob]).serialized())
        let d = try RequestTransfer.decode(j)
        #expect(d.record.intent == intent && d.record.digest == r.digest && d.record.requirements == r.requirements)
        #expect(d.record.expiresMicros == 99 && d.record.approvalTTL == 600 && d.record.ticket == "CHG-1" && d.tokens == ["gate1.x"])
        #expect(d.blobs[blob.digest] == blob.data)
        let forged = try JSON.parse(RequestTransfer.encode(r, tokens: [], blobs: [(blob.digest, Array("other".utf8))]).serialized())
        #expect(throws: RequestTransfer.Malformed.self) { _ = try RequestTransfer.decode(forged) }
    }

    @Test func responsesParseByLengthOrChunksAndBadOnesAreNamed() throws {
        let plain = try PlainHTTP.parse(Array("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}trailing".utf8))
        #expect(plain.status == 201 && plain.body == Array("{}".utf8))
        let chunked = try PlainHTTP.parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n".utf8))
        #expect(chunked.body == Array("abcde".utf8))
        for bad in ["nonsense", "HTTP/1.1 200 OK\r\n", "SMTP 200\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"] {
            var refused = false
            do { _ = try PlainHTTP.parse(Array(bad.utf8)) } catch { refused = true }
            #expect(refused, "parsed: \(bad)")
        }
        #expect(PlainHTTP.isComplete(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".utf8)))
        #expect(!PlainHTTP.isComplete(Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{}".utf8)))
    }

    /// What a broken proxy or a hostile server sends is `.malformed`, never a trap (exit 132 in
    /// the middle of a requester's wait). Each of these trapped the client before.
    @Test("hostile responses are refused, never a trap", arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7FFFFFFFFFFFFFFF\r\nabc\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        "HTTP/1.1 -200 OK\r\n\r\n", "HTTP/1.1 99999999999999999999 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n",
        "\r\n\r\n", "HTTP/1.1\r\n\r\n",
    ])
    func hostileResponsesAreRefused(_ response: String) {
        #expect(throws: PlainHTTP.Failure.self) { _ = try PlainHTTP.parse(Array(response.utf8)) }
        _ = PlainHTTP.isComplete(Array(response.utf8))  // must not trap either
    }

    @Test func serverURLsAreParsedStrictly() throws {
        let u = try PlainHTTP(url: "http://gate.internal:8780/base/")
        #expect(u.host == "gate.internal" && u.port == 8780 && u.prefix == "/base" && u.base == "http://gate.internal:8780/base")
        let v6 = try PlainHTTP(url: "http://[::1]:9")
        #expect(v6.host == "::1" && v6.port == 9 && v6.prefix == "")
        #expect(try PlainHTTP(url: "http://h").port == 80)
        let tls = try PlainHTTP(url: "https://gate.example")
        #expect(tls.secure && tls.port == 443 && !u.secure)
        for bad in ["ftp://x", "gate.internal:8780", "http://:80", "http://h:0", "http://h:99999", "http://u:p@h:1", "http://[::1"] {
            #expect(throws: GateFailure.self) { _ = try PlainHTTP(url: bad) }
        }
    }
}
