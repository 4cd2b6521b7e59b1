import Foundation
import GateCore
import GateCrypto
import GateClient
import GateStore
import GateSystem
import GateServer
import GateWire
import Hummingbird
import HummingbirdTesting
import Testing

/// One in-process server with a policy that registers requester `ci1`, approvers alice (user
/// alice) and root-owned rules, and helpers to make signed requests and tokens.
struct RouterRig {
    let dir: String
    let ci1 = SigningIdentity.generate(name: "ci1")
    let stranger = SigningIdentity.generate(name: "stranger")
    let alice = SigningIdentity.generate(name: "alice")
    let bob = SigningIdentity.generate(name: "bob")
    let mallory = SigningIdentity.generate(name: "mallory")
    let ci2 = SigningIdentity.generate(name: "ci2")

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gate-router-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let policy = """
            version 1
            approver alice user=alice key=\(alice.publicKey.text)
            approver bob user=root key=\(bob.publicKey.text)
            requester ci1 key=\(ci1.publicKey.text)
            requester ci2 key=\(ci2.publicKey.text)
            require 1 -- /bin/echo ...
            require 1 ttl=1s -- /bin/sleep ...
            allow -- /bin/true
            deny "not here" -- /bin/rm ...

            """
        FileManager.default.createFile(atPath: dir + "/policy", contents: Data(policy.utf8), attributes: [.posixPermissions: 0o600])
    }

    func record(_ argv: [String] = ["/bin/echo", "hi"], user: String = "root") -> RequestRecord {
        let intent = Intent(argv: argv, executable: URL(fileURLWithPath: argv[0]).resolvingSymlinksInPath().path, executableDigest: Array(repeating: 1, count: 32), cwd: "/", user: user,
                            uid: 0, agent: "", host: "ci-host")
        var r = RequestRecord(id: RequestID(randomBytes: SecureRandom.bytes(5)), createdMicros: 0, intent: intent)
        r.reason = "r"
        r.context = .object([("environment", .array([]))])
        return r
    }

    func token(_ r: RequestRecord, by who: SigningIdentity, decision: TokenPayload.Decision = .approve, digest: [UInt8]? = nil) throws -> JSON {
        let now = UInt64(Date().timeIntervalSince1970)
        let t = try TokenSigning.sign(TokenPayload(keyID: who.publicKey.id, requestID: r.id.compact, intentDigest: digest ?? r.digest.bytes,
                                                   decision: decision, issuedAt: now, expiresAt: now + 600, nonce: SecureRandom.bytes(16),
                                                   comment: ""), with: who)
        return .object([("token", .string(t.text))])
    }

    static func buffer(_ j: JSON) -> ByteBuffer { ByteBuffer(string: j.serialized()) }

    /// An in-process server on this rig's state with `r` filed by ci1, for `body` to act on.
    func withFiled(_ r: RequestRecord, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try ServerApp.build(.init(port: 0, stateDirectory: dir))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/requests", method: .post, body: Self.buffer(try RemoteClient.createBody(r, blobs: [], as: ci1))) {
                #expect($0.status == .created)
            }
            try await body(client)
        }
    }
}

extension TestResponse {
    var json: JSON { (try? JSON.parse(String(buffer: body))) ?? .null }
    var text: String { String(buffer: body) }
}

@Suite struct RouterTests {
    @Test func createGetListWaitDecide() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let app = try ServerApp.build(.init(port: 0, stateDirectory: rig.dir))
        let r = rig.record()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1", method: .get) { #expect($0.status == .ok && $0.json["api"] == .string("gate/v1")) }
            try await client.execute(uri: "/v1/requests", method: .get) { #expect($0.text == "{\"requests\":[],\"total\":0}\n") }
            let body = RouterRig.buffer(try RemoteClient.createBody(r, blobs: [], as: rig.ci1))
            try await client.execute(uri: "/v1/requests", method: .post, body: body) { response in
                #expect(response.status == .created, "\(response.text)")
                #expect(response.json["id"] == .string(r.id.compact) && response.json["requires"] == .string("1 approval"))
            }
            // The same statement again is a replay; a new one for the same id finds it exists.
            try await client.execute(uri: "/v1/requests", method: .post, body: body) {
                #expect($0.status == .forbidden && ($0.json["error"]?.stringValue ?? "").contains("already used"), "\($0.text)")
            }
            let again = RouterRig.buffer(try RemoteClient.createBody(r, blobs: [], as: rig.ci1))
            try await client.execute(uri: "/v1/requests", method: .post, body: again) { #expect($0.status == .conflict && $0.json["code"] == .string("exists")) }
            try await client.execute(uri: "/v1/requests", method: .get) { #expect($0.json["requests"]?.arrayValue?.count == 1) }
            try await client.execute(uri: "/v1/requests/\(r.id.compact.prefix(4))", method: .get) { response in
                let decoded = try RequestTransfer.decode(response.json)
                #expect(decoded.record.intent == r.intent && decoded.record.context["requester"]?["name"] == .string("ci1"))
            }
            // The pages: the request listed and shown, every piece of its text escaped.
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.text.contains("href=\"/r/\(r.id.compact)\"") && response.text.contains("/bin/echo hi"), "\(response.text)")
            }
            try await client.execute(uri: "/r/\(r.id.compact)", method: .get) { response in
                #expect(response.status == .ok && response.text.contains("gate approve \(r.id)") && response.text.contains("Sent by requester <b>ci1</b>"))
            }
            try await client.execute(uri: "/r/NOPE", method: .get) { #expect($0.status == .notFound) }
            for bad in ["timeout=nan", "timeout=inf", "timeout=x", "seen=1.5"] {
                try await client.execute(uri: "/v1/requests/\(r.id.compact)/wait?\(bad)", method: .get) { response in
                    #expect(response.status == .badRequest && response.json["code"] == .string("bad-query"), "\(bad): \(response.text)")
                }
            }
            try await client.execute(uri: "/v1/requests/\(r.id.compact)/wait?seen=0&timeout=0.2", method: .get) { response in
                #expect(response.json["status"] == .string("pending") && response.json["tokens"] == .array([]))
            }
            // A long-poll is answered as soon as the decision arrives.
            async let waited = client.execute(uri: "/v1/requests/\(r.id.compact)/wait?seen=0&timeout=20", method: .get) { $0.json }
            try await Task.sleep(nanoseconds: 200_000_000)
            let began = Date()
            try await client.execute(uri: "/v1/requests/\(r.id.compact)/decisions", method: .post, body: RouterRig.buffer(try rig.token(r, by: rig.alice))) { response in
                #expect(response.status == .created && response.json["status"] == .string("approved"), "\(response.text)")
            }
            let answer = try await waited
            #expect(answer["status"] == .string("approved") && answer["tokens"]?.arrayValue?.count == 1)
            #expect(Date().timeIntervalSince(began) < 5, "the long-poll was not released by the decision")
            try await client.execute(uri: "/v1/requests/\(r.id.compact)/decisions", method: .post, body: RouterRig.buffer(try rig.token(r, by: rig.alice))) {
                #expect($0.status == .conflict && $0.json["code"] == .string("not-pending"))
            }
        }
    }

    @Test func everyBadCreateIsA4xxWithAReason() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let app = try ServerApp.build(.init(port: 0, stateDirectory: rig.dir))
        try await app.test(.router) { client in
            func post(_ body: String) async throws -> (Int, String) {
                try await client.execute(uri: "/v1/requests", method: .post, body: ByteBuffer(string: body)) { (Int($0.status.code), $0.json["code"]?.stringValue ?? $0.text) }
            }
            #expect(try await post("not json") == (400, "bad-body"))
            #expect(try await post("{}") == (400, "bad-body"))
            #expect(try await post("{\"statement\":\"gatereq1.AAAA.BBBB\",\"body\":\"\"}") == (400, "malformed-statement"))
            let unknown = try RemoteClient.createBody(rig.record(), blobs: [], as: rig.stranger)
            #expect(try await post(unknown.serialized()) == (403, "bad-statement"))
            // A body other than the one signed.
            guard case .object(var fields) = try RemoteClient.createBody(rig.record(), blobs: [], as: rig.ci1) else { return }
            let other = try RemoteClient.createBody(rig.record(["/bin/echo", "other"]), blobs: [], as: rig.ci1)
            fields[1] = ("body", other["body"]!)
            #expect(try await post(JSON.object(fields).serialized()) == (403, "bad-statement"))
            let stale = try RemoteClient.createBody(rig.record(), blobs: [], as: rig.ci1, issuedAt: UInt64(Date().timeIntervalSince1970) - 3600)
            #expect(try await post(stale.serialized()) == (403, "bad-statement"))
            #expect(try await post(try RemoteClient.createBody(rig.record(["/bin/rm", "-rf", "/"]), blobs: [], as: rig.ci1).serialized()) == (403, "policy-deny"))
            #expect(try await post(try RemoteClient.createBody(rig.record(["/bin/true"]), blobs: [], as: rig.ci1).serialized()) == (422, "policy-mismatch"))
            // A context output that is not what its digest names.
            let blob: (digest: [UInt8], data: [UInt8]) = (BLAKE2b.hash([1, 2, 3]), [9, 9, 9])
            #expect(try await post(try RemoteClient.createBody(rig.record(), blobs: [blob], as: rig.ci1).serialized()) == (400, "bad-context"))
            let huge = ByteBuffer(repeating: 0x20, count: ServerApp.maxCreateBody + 1)
            try await client.execute(uri: "/v1/requests", method: .post, body: huge) { #expect($0.status.code == 413 && $0.json["code"] == .string("too-large")) }
            try await client.execute(uri: "/v1/requests/NOPE", method: .get) { #expect($0.status == .notFound && $0.json["code"] == .string("unknown-request")) }
            try await client.execute(uri: "/v1/requests/!!/wait", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/elsewhere", method: .get) { #expect($0.status == .notFound && $0.json["code"] == .string("not-found")) }
        }
        // Each refusal the server could attribute (a statement that verified in full) is in its
        // ledger; the stranger's, the mismatched body's and the stale one's (anyone could replay
        // those) only in the operator's log.
        let store = try Store.open(GateEnvironment(home: rig.dir, policyPath: rig.dir + "/policy"))
        var codes: [String] = []
        try store.forEachLedgerEntry { e in
            if e.kind == "refused", let p = try? JSON.parse(e.payload), let c = p["code"]?.stringValue { codes.append(c) }
            return true
        }
        #expect(codes == ["policy-deny", "policy-mismatch", "bad-context"], "\(codes)")
    }

    @Test func decisionsAreCheckedLikeTheRequesterChecksThem() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let r = rig.record()
        try await rig.withFiled(r) { client in
            func decide(_ body: JSON) async throws -> (Int, String) {
                try await client.execute(uri: "/v1/requests/\(r.id.compact)/decisions", method: .post, body: RouterRig.buffer(body)) {
                    (Int($0.status.code), $0.json["code"]?.stringValue ?? $0.text)
                }
            }
            #expect(try await decide(.object([])) == (400, "bad-body"))
            #expect(try await decide(.object([("token", .string("gate1.nope"))])) == (400, "malformed-token"))
            #expect(try await decide(try rig.token(r, by: rig.mallory)) == (403, "untrusted-key"))
            #expect(try await decide(try rig.token(r, by: rig.bob)) == (403, "self-approval"))
            #expect(try await decide(try rig.token(r, by: rig.alice, digest: Array(repeating: 0, count: 32))) == (403, "intent-mismatch"))
            // Only the requester that created it can withdraw it.
            let foreign = try RemoteClient.cancelBody(r, as: rig.stranger)
            try await client.execute(uri: "/v1/requests/\(r.id.compact)/cancel", method: .post, body: RouterRig.buffer(foreign)) { #expect($0.status == .forbidden) }
            #expect(try await decide(try rig.token(r, by: rig.alice, decision: .deny)) == (201, "{\"id\":\"\(r.id.compact)\",\"approver\":\"alice\",\"status\":\"denied\",\"decision\":\"deny\",\"comment\":\"\"}\n"))
            try await client.execute(uri: "/v1/requests/\(r.id.compact)/cancel", method: .post, body: RouterRig.buffer(try RemoteClient.cancelBody(r, as: rig.ci1))) {
                #expect($0.status == .ok && $0.json["status"] == .string("denied"))
            }
        }
    }

    @Test func aRequestPastItsTTLExpiresOnTheServerAndCannotBeApproved() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let r = rig.record(["/bin/sleep", "1"])
        try await rig.withFiled(r) { client in
            // (Listing before the ttl passes is covered above; under a loaded test run a second can
            // pass between two calls, so this test only looks after it.)
            try await Task.sleep(nanoseconds: 1_200_000_000)
            try await client.execute(uri: "/v1/requests", method: .get) { #expect($0.json["requests"]?.arrayValue?.count == 0, "\($0.text)") }
            try await client.execute(uri: "/v1/requests/\(r.id.compact)", method: .get) { #expect($0.json["status"] == .string("expired")) }
            try await client.execute(uri: "/v1/requests/\(r.id.compact)/decisions", method: .post, body: RouterRig.buffer(try rig.token(r, by: rig.alice))) {
                #expect($0.status == .conflict && $0.json["code"] == .string("not-pending"))
            }
        }
    }

    /// Two ledgers' worth of entries: the host's, and the same length rewritten.
    static func chain(_ count: Int, actor: String) -> [LedgerEntry] {
        var out: [LedgerEntry] = []
        for i in 1...count {
            out.append(LedgerEntry.next(after: out.last.map { ($0.seq, $0.hash) }, timeMicros: Int64(i), kind: "started",
                                        requestID: "R\(i)", actor: actor, payload: "{}"))
        }
        return out
    }

    @Test func checkpointCopiesAreHeldToTheirFirstKeyAndNeverShrink() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let app = try ServerApp.build(.init(port: 0, stateDirectory: rig.dir))
        let ledgerKey = SigningIdentity.generate(name: "ledger"), otherKey = SigningIdentity.generate(name: "other")
        let real = Self.chain(12, actor: "ci"), rewritten = Self.chain(12, actor: "mallory")
        @Sendable func checkpoint(_ size: Int64, head: [UInt8]? = nil, key: SigningIdentity? = nil, time: Int64 = 1_700_000_000_000_000,
                                  entries: ArraySlice<LedgerEntry> = [], as sender: SigningIdentity? = nil) throws -> JSON {
            let body = CheckpointBody(ledgerID: "00112233AABBCCDD", size: size, head: head ?? real[Int(size) - 1].hash, timeMicros: time)
            let signer = key ?? ledgerKey
            return try RemoteClient.checkpointBody(try CheckpointSigning.sign(body, with: signer), ledgerKey: signer.publicKey,
                                                   entries: Array(entries), as: sender ?? rig.ci1)
        }
        try await app.test(.router) { client in
            func post(_ j: JSON) async throws -> (Int, String) {
                try await client.execute(uri: "/v1/checkpoints", method: .post, body: RouterRig.buffer(j)) { (Int($0.status.code), $0.json["code"]?.stringValue ?? "ok") }
            }
            try await client.execute(uri: "/v1/checkpoints/00112233AABBCCDD", method: .get) { #expect($0.status == .notFound) }
            #expect(try await post(try checkpoint(5)) == (201, "ok"))
            // Another registered requester cannot take the ledger id over; the refusal names who holds it.
            let claimed = try await client.execute(uri: "/v1/checkpoints", method: .post, body: RouterRig.buffer(try checkpoint(9, entries: real[5..<9], as: rig.ci2))) {
                (Int($0.status.code), $0.json["code"]?.stringValue ?? "", $0.json["error"]?.stringValue ?? "")
            }
            #expect(claimed.0 == 409 && claimed.1 == "ledger-claimed" && claimed.2.contains("held on this server for requester ci1"), "\(claimed)")
            // A larger copy proves it extends the one held, with the entries since.
            #expect(try await post(try checkpoint(9)) == (409, "ledger-rewritten"))
            #expect(try await post(try checkpoint(9, entries: real[5..<8])) == (409, "ledger-rewritten"))
            #expect(try await post(try checkpoint(9, entries: real[5..<9])) == (201, "ok"))
            #expect(try await post(try checkpoint(7)) == (409, "ledger-shrank"))
            // A smaller copy signed before the one held arrived late (concurrent runs): not a shrink.
            #expect(try await post(try checkpoint(8, time: 1_699_999_999_000_000)) == (201, "ok"))
            #expect(try await post(try checkpoint(9, head: Array(repeating: 2, count: 32))) == (409, "ledger-rewritten"))
            #expect(try await post(try checkpoint(12, key: otherKey, entries: real[9..<12])) == (409, "bad-checkpoint"))
            // History rewritten and re-signed with the ledger key itself: its entries do not
            // lead from the head held (finding 1).
            #expect(try await post(try checkpoint(12, head: rewritten[11].hash, entries: rewritten[9..<12])) == (409, "ledger-rewritten"))
            #expect(try await post(try checkpoint(12, entries: real[9..<12])) == (201, "ok"))
            try await client.execute(uri: "/v1/checkpoints/00112233AABBCCDD", method: .get) { response in
                #expect(response.json["size"] == .int(12) && response.json["from"] == .string("ci1"), "\(response.text)")
            }
            try await client.execute(uri: "/v1/checkpoints/00112233AABBCCDD?all=1", method: .get) { response in
                #expect(response.json["copies"]?.arrayValue?.compactMap { $0["size"]?.intValue } == [5, 9, 12], "\(response.text)")
            }
            try await client.execute(uri: "/v1/checkpoints/nope", method: .get) { #expect($0.status == .badRequest) }
        }
    }
}
