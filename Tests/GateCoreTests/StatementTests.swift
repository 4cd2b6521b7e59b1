import GateCore
import GateCrypto
@testable import GateKit
import GateWire
import Testing

/// Requester statements (SPEC.md §9.1): canonical round trip, the server's checks in order, and
/// the transfer form of a request; the pure parts of the client's HTTP parsing.
@Suite struct StatementTests {
    static let requester = SigningIdentity(name: "ci1", signingKey: Ed25519.SigningKey(seed: Array(repeating: 3, count: 32))!)
    static let approver = SigningIdentity(name: "alice", signingKey: Ed25519.SigningKey(seed: Array(repeating: 4, count: 32))!)
    static let policy = try! PolicyParser.parse("""
        version 1
        approver alice user=alice key=\(approver.publicKey.text)
        requester ci1 key=\(requester.publicKey.text)
        require 1 -- /bin/echo ...

        """)

    static func statement(_ action: StatementPayload.Action = .create, body: [UInt8]? = [1, 2, 3], at: UInt64 = 1_800_000_000,
                          by who: SigningIdentity = requester) throws -> SignedStatement {
        try StatementSigning.sign(StatementPayload(keyID: who.publicKey.id, action: action, requestID: "7K3FQ2XZ",
                                                   intentDigest: Array(repeating: 9, count: 32),
                                                   bodyDigest: body.map { BLAKE2b.hash($0) } ?? Array(repeating: 0, count: 32),
                                                   issuedAt: at, nonce: Array(repeating: 5, count: 16)), with: who)
    }

    @Test func roundTripIsCanonicalAndDeterministic() throws {
        let s = try Self.statement()
        let parsed = try SignedStatement(text: s.text)
        #expect(parsed == s && parsed.payload.encoded() == s.payloadBytes && parsed.text == s.text)
        // Ed25519 is deterministic: the same statement signs to the same text.
        #expect(try Self.statement().text == s.text)
        #expect(s.text.hasPrefix("gatereq1."))
    }

    @Test func everyAlteredByteIsRefused() throws {
        let s = try Self.statement()
        for i in s.payloadBytes.indices {
            var bytes = s.payloadBytes
            bytes[i] ^= 0x01
            let altered = try? SignedStatement(payloadBytes: bytes, signature: s.signature)
            guard let altered else { continue }  // no longer parses: refused earlier
            #expect(throws: StatementSigning.Problem.self) {
                _ = try StatementSigning.check(altered, policy: Self.policy, action: .create, body: [1, 2, 3], now: 1_800_000_000)
            }
        }
        for bad in ["", "gatereq1.", "gatereq1.AA", "gatereq2.AA.BB", s.text + ".x", s.text.replacingOccurrences(of: "gatereq1.", with: "gatereq1..")] {
            #expect(throws: WireError.self) { _ = try SignedStatement(text: bad) }
        }
    }

    @Test func theServersChecksComeInOrder() throws {
        let ok = try StatementSigning.check(try Self.statement(), policy: Self.policy, action: .create, body: [1, 2, 3], now: 1_800_000_100)
        #expect(ok.name == "ci1")
        func problem(_ s: SignedStatement, action: StatementPayload.Action = .create, body: [UInt8]? = [1, 2, 3], now: UInt64 = 1_800_000_000) -> StatementSigning.Problem? {
            do { _ = try StatementSigning.check(s, policy: Self.policy, action: action, body: body, now: now); return nil } catch { return error }
        }
        // An approver's key is not a requester's, and the key id is refused before any crypto.
        #expect(problem(try Self.statement(by: Self.approver)) == .unknownKey(Self.approver.publicKey.id))
        let s = try Self.statement()
        var sig = s.signature
        sig[0] ^= 1
        #expect(problem(try SignedStatement(payloadBytes: s.payloadBytes, signature: sig)) == .badSignature(Self.requester.publicKey.id))
        #expect(problem(s, action: .cancel) == .wrongAction(expected: .cancel))
        #expect(problem(s, body: [1, 2, 4]) == .bodyMismatch)
        #expect(problem(s, body: nil) == .bodyMismatch)
        #expect(problem(s, now: 1_800_000_301) == .stale(issuedAt: 1_800_000_000, now: 1_800_000_301))
        #expect(problem(s, now: 1_799_999_699) == .stale(issuedAt: 1_800_000_000, now: 1_799_999_699))
        #expect(problem(try Self.statement(.cancel, body: nil), action: .cancel, body: nil) == nil)
    }

    @Test func requestsTravelIntactAndBlobsMustMatchTheirDigests() throws {
        let intent = Intent(argv: ["/bin/echo", "a b", "<x>"], executable: "/bin/echo", executableDigest: Array(repeating: 1, count: 32),
                            cwd: "/srv", user: "ci", uid: 1000, agent: "bot", host: "runner-1",
                            boundFiles: [.init(path: "/srv/plan", digest: Array(repeating: 2, count: 32))])
        var r = RequestRecord(id: RequestID("7K3FQ2XZ")!, createdMicros: 5, intent: intent, reason: "why", rule: "line 3",
                              requirements: [.init(count: 2, group: "sre"), .init(count: 1, group: "dba")], policyDigest: [7, 7],
                              status: .pending, requesterPID: 0)
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
