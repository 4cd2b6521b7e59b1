import GateCore
import GateCrypto
import GateWire
import Testing

/// Issue 19: tests written to fail under one realistic weakening of a check each (the list is
/// in scripts/mutate.sh). Each names the mutation it kills.
@Suite struct MutationTests {
    typealias A = ApprovalCheckTests

    /// Kills "issued-in-future skew 300 → 3000": the boundary itself.
    @Test func issuedAtMayBeAtMostThreeHundredSecondsAhead() {
        let now = A.now
        #expect(A.check().verify(A.token(TestKeys.alice, issued: now + 300, expires: now + 900)).map(\.approver) == .success("alice"))
        #expect(A.check().verify(A.token(TestKeys.alice, issued: now + 301, expires: now + 900)) == .failure(.issuedInFuture(at: now + 301)))
        #expect(A.check().verify(A.token(TestKeys.alice, issued: now + 3000, expires: now + 9000)) == .failure(.issuedInFuture(at: now + 3000)))
    }

    /// Kills "distinct approvers by key id instead of by person": one person with two keys.
    @Test func twoKeysOfOnePersonAreOnePerson() throws {
        let alice2 = TestKeys.identity(7, "alice")
        let policy = try PolicyParser.parse("""
            version 1
            approver alice user=alice key=\(TestKeys.alice.publicKey.text) key=\(alice2.publicKey.text)
            approver bob user=bob key=\(TestKeys.bob.publicKey.text)
            approver carol user=carol key=\(TestKeys.carol.publicKey.text)
            group sre alice bob carol
            require 2 of sre -- terraform apply ...
            """)
        var check = ApprovalCheck(policy: policy, requirements: [.init(count: 2, group: "sre")], requesterUser: "dave",
                                  intentDigest: A.digest, now: A.now)
        check.requestID = "AAAABBBB"
        let both = check.evaluate([A.token(TestKeys.alice), A.token(alice2)])
        guard case .pending(let have, let missing) = both else { Issue.record("two keys of alice: \(both)"); return }
        #expect(missing == ["1 more of sre"] && have.map(\.approver) == ["alice"])
        let withBob = check.evaluate([A.token(TestKeys.alice), A.token(alice2), A.token(TestKeys.bob)])
        guard case .approved(let approvals) = withBob else { Issue.record("\(withBob)"); return }
        #expect(approvals.map(\.approver) == ["alice", "bob"], "no duplicate approver in what the ledger records")
    }

    /// Kills "4096-character token bound removed": an overlong token fails early, as such.
    @Test func anOverlongTokenIsRefusedBeforeDecoding() {
        let long = "gate1." + String(repeating: "A", count: 5000) + "." + String(repeating: "B", count: 86)
        #expect(throws: WireError("token is too long")) { try SignedToken(text: long) }
        let good = A.token(TestKeys.alice)
        // A genuine token with a 4 KiB comment is too long too: the bound is on the text.
        #expect(good.text.count < 4096)
        #expect(throws: WireError("token is too long")) { try SignedToken(text: good.text + String(repeating: "=", count: 4096)) }
    }

    /// Kills "KEY removed from the secret-name words".
    @Test func keyNamesAreSecrets() {
        for name in ["API_KEY", "STRIPE_API_KEY", "SSH_KEY", "ssh_key", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN",
                     "DB_PASSWORD", "SESSION_ID", "PRIVATE_PEM"] {
            #expect(Redactor.isSecretName(name), "\(name)")
        }
        for name in ["AWS_PROFILE", "TF_WORKSPACE", "HOME", "LANG"] { #expect(!Redactor.isSecretName(name), "\(name)") }
    }
}
