import GateCore
import GateCrypto
import GateWire
import Testing

@Suite struct ApprovalCheckTests {
    static let policy = try! PolicyParsingTests.parse("require 2 of sre -- terraform apply ...\n")
    static let digest = IntentDigest(bytes: BLAKE2b.hash(Array("intent".utf8)))
    static let now: UInt64 = 1_800_000_000

    static func token(_ who: SigningIdentity, decision: TokenPayload.Decision = .approve, digest: IntentDigest = digest,
                      request: String = "AAAABBBB", issued: UInt64 = now - 10, expires: UInt64 = now + 600) -> SignedToken {
        let p = TokenPayload(keyID: who.publicKey.id, requestID: request, intentDigest: digest.bytes, decision: decision,
                             issuedAt: issued, expiresAt: expires, nonce: SecureRandom.bytes(16), comment: "")
        return try! TokenSigning.sign(p, with: who)
    }

    static func check(requester: String = "dave", request: String? = "AAAABBBB") -> ApprovalCheck {
        var check = ApprovalCheck(policy: policy, requirements: [.init(count: 2, group: "sre")], requesterUser: requester,
                                  intentDigest: digest, now: now)
        check.requestID = request
        return check
    }

    @Test func twoDistinctPeopleApprove() {
        guard case .approved(let a) = Self.check().evaluate([Self.token(TestKeys.alice), Self.token(TestKeys.bob)]) else {
            Issue.record("not approved"); return
        }
        #expect(a.map(\.approver) == ["alice", "bob"])
    }

    @Test func oneApproverTwiceIsOnePerson() {
        let outcome = Self.check().evaluate([Self.token(TestKeys.alice), Self.token(TestKeys.alice)])
        guard case .pending(_, let missing) = outcome else { Issue.record("\(outcome)"); return }
        #expect(missing == ["1 more of sre"])
    }

    @Test func aDenialAmongApprovalsDenies() {
        let outcome = Self.check().evaluate([Self.token(TestKeys.alice), Self.token(TestKeys.bob, decision: .deny)])
        guard case .denied(let d) = outcome else { Issue.record("\(outcome)"); return }
        #expect(d.approver == "bob")
    }

    @Test func selfApprovalNeverCounts() {
        #expect(Self.check(requester: "alice").evaluate([Self.token(TestKeys.alice), Self.token(TestKeys.bob)])
                == .refused(.selfApproval(approver: "alice", user: "alice")))
    }

    @Test func untrustedKeyIsReportedByKeyIDBeforeCrypto() {
        #expect(Self.check().verify(Self.token(TestKeys.mallory)) == .failure(.untrustedKey(TestKeys.mallory.publicKey.id)))
    }

    @Test func forgedSignature() throws {
        let good = Self.token(TestKeys.alice)
        var sig = good.signature
        sig[0] ^= 1
        let forged = try SignedToken(payloadBytes: good.payloadBytes, signature: sig)
        #expect(Self.check().verify(forged) == .failure(.badSignature(TestKeys.alice.publicKey.id)))
        // A payload re-signed by another trusted key but naming alice's key id.
        let p = try TokenPayload(decoding: good.payloadBytes)
        let resigned = try SignedToken(payloadBytes: p.encoded(), signature: TestKeys.bob.signingKey.signature(for: p.encoded()))
        #expect(Self.check().verify(resigned) == .failure(.badSignature(TestKeys.alice.publicKey.id)))
    }

    @Test func otherIntentOtherRequestExpiredFuture() {
        let other = IntentDigest(bytes: BLAKE2b.hash(Array("other".utf8)))
        if case .failure(.intentMismatch) = Self.check().verify(Self.token(TestKeys.alice, digest: other)) {} else { Issue.record("mismatch accepted") }
        #expect(Self.check().verify(Self.token(TestKeys.alice, request: "CCCCDDDD")) == .failure(.otherRequest(token: "CCCCDDDD", expected: "AAAABBBB")))
        #expect(Self.check(request: nil).verify(Self.token(TestKeys.alice, request: "CCCCDDDD")).map(\.approver) == .success("alice"))
        #expect(Self.check().verify(Self.token(TestKeys.alice, expires: Self.now)) == .failure(.expired(at: Self.now)))
        #expect(Self.check().verify(Self.token(TestKeys.alice, issued: Self.now + 3600)) == .failure(.issuedInFuture(at: Self.now + 3600)))
    }

    @Test func approverRemovedFromPolicyAfterApproving() throws {
        let smaller = try PolicyParser.parse("""
            approver bob user=bob key=\(TestKeys.bob.publicKey.text)
            approver carol user=carol key=\(TestKeys.carol.publicKey.text)
            group sre bob carol
            """)
        var c = Self.check()
        c.policy = smaller
        #expect(c.evaluate([Self.token(TestKeys.alice), Self.token(TestKeys.bob)]) == .refused(.untrustedKey(TestKeys.alice.publicKey.id)))
    }

    @Test func approverOutsideTheGroupDoesNotCount() throws {
        var c = Self.check()
        c.requirements = [.init(count: 1, group: "dba")]
        guard case .pending = c.evaluate([Self.token(TestKeys.alice)]) else { Issue.record("alice is not a dba"); return }
        guard case .approved = c.evaluate([Self.token(TestKeys.alice), Self.token(TestKeys.carol)]) else { Issue.record("carol is"); return }
    }
}

@Suite struct LedgerChainTests {
    static func chain(_ n: Int) -> [LedgerEntry] {
        var out: [LedgerEntry] = []
        for i in 0..<n {
            out.append(LedgerEntry.next(after: out.last.map { ($0.seq, $0.hash) }, timeMicros: Int64(1000 + i), kind: "started",
                                        requestID: "AAAABBBB", actor: "alice", payload: "{\"i\":\(i)}"))
        }
        return out
    }

    static func verify(_ entries: [LedgerEntry]) -> ChainVerifier.Damage? {
        var v = ChainVerifier()
        for e in entries { if let d = v.add(e) { return d } }
        return nil
    }

    @Test func intactChainVerifies() { #expect(Self.verify(Self.chain(10)) == nil) }

    @Test func editedPayload() {
        var c = Self.chain(5)
        c[2].payload = "{\"i\":99}"
        #expect(Self.verify(c) == .edited(seq: 3))
    }

    @Test func editedAndRehashedBreaksTheNextLink() {
        var c = Self.chain(5)
        c[2].payload = "{\"i\":99}"
        c[2].hash = c[2].computedHash()
        #expect(Self.verify(c) == .brokenLink(seq: 4))
    }

    @Test func deletedMiddleEntry() {
        var c = Self.chain(5)
        c.remove(at: 1)
        #expect(Self.verify(c) == .gap(expected: 2, found: 3))
    }

    @Test func swappedEntries() {
        var c = Self.chain(5)
        c.swapAt(1, 2)
        #expect(Self.verify(c) == .gap(expected: 2, found: 3))
        // Swapped contents with renumbered seqs: the hashes cover seq.
        var d = Self.chain(5)
        (d[1].seq, d[2].seq) = (d[2].seq, d[1].seq)
        d.swapAt(1, 2)
        #expect(Self.verify(d) == .edited(seq: 2))
    }
}
