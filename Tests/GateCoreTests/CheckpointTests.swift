import GateCore
import GateCrypto
import GateWire
import Testing

@Suite struct CheckpointTests {
    static func text(_ v: Vector) -> String {
        // CR is spelled as a field, not written raw: a data file with CRLF inside is too easy to
        // normalise by accident (and Swift reads "\r\n" as one Character).
        let eol = v.one("line-ending") == "crlf" ? "\r\n" : "\n"
        return (v.fields["line"] ?? []).joined(separator: eol) + (v.one("final-newline") == "no" ? "" : eol)
    }

    static func key(_ v: Vector) -> SigningIdentity {
        SigningIdentity(name: "ledger", signingKey: Ed25519.SigningKey(seed: hexBytes(v.one("seed")))!)
    }

    @Test("golden checkpoints: gate signs exactly the vector's text; parse → encode is the identity",
          arguments: try Vector.all(in: "checkpoint").filter { $0.expect == "ok" })
    func golden(_ v: Vector) throws {
        let key = Self.key(v)
        #expect(key.publicKey.text == v.one("public-key"))
        let body = CheckpointBody(ledgerID: v.one("ledger"), size: Int64(v.one("size"))!, head: hexBytes(v.one("head")),
                                  timeMicros: Int64(v.one("time"))!)
        let signed = try CheckpointSigning.sign(body, with: key)
        #expect(signed.text == Self.text(v))
        let parsed = try SignedCheckpoint(parsing: Self.text(v))
        #expect(parsed == signed && parsed.text == Self.text(v))
        try CheckpointSigning.check(parsed, ledgerID: v.one("ledger"), key: key.publicKey)
    }

    @Test("malformed checkpoints are refused with a specific reason", arguments: try Vector.all(in: "checkpoint").filter { $0.expect.hasPrefix("error ") })
    func malformed(_ v: Vector) throws {
        let want = String(v.expect.dropFirst(6))
        do {
            _ = try SignedCheckpoint(parsing: Self.text(v))
            Issue.record("\(v.name): accepted a malformed checkpoint")
        } catch let e as WireError {
            #expect(e.description.contains(want), "\(v.name): got '\(e.description)', want '\(want)'")
        }
    }

    @Test("well-formed but not genuine checkpoints are rejected", arguments: try Vector.all(in: "checkpoint").filter { $0.expect.hasPrefix("rejected ") })
    func rejected(_ v: Vector) throws {
        let want = String(v.expect.dropFirst(9))
        let parsed = try SignedCheckpoint(parsing: Self.text(v))
        #expect(parsed.text == Self.text(v))
        do {
            try CheckpointSigning.check(parsed, ledgerID: v.one("ledger"), key: Self.key(v).publicKey)
            Issue.record("\(v.name): accepted")
        } catch let p as CheckpointSigning.Problem {
            #expect(p.description.contains(want), "\(v.name): got '\(p)', want '\(want)'")
        }
    }

    // MARK: the audit walk

    static let ledgerID = "0123456789ABCDEF"

    static func checkpoint(_ entries: [LedgerEntry], size: Int, key: SigningIdentity, ledger: String = ledgerID) throws -> SignedCheckpoint {
        let head = size == 0 ? LedgerEntry.genesisHash : entries[size - 1].hash
        return try CheckpointSigning.sign(CheckpointBody(ledgerID: ledger, size: Int64(size), head: head, timeMicros: 1_795_000_000_000_000), with: key)
    }

    /// The walk as Store.audit drives it: settle each checkpoint when the chain reaches its size.
    static func audit(_ entries: [LedgerEntry], _ checkpoints: [SignedCheckpoint], key: PublicKey, all: Bool = false) -> LedgerAudit.Damage? {
        var a = LedgerAudit(ledgerID: ledgerID, key: key, newestSize: checkpoints.map(\.body.size).max(), allSignatures: all)
        var pending = checkpoints.sorted { $0.body.size < $1.body.size }[...]
        func settle() -> LedgerAudit.Damage? {
            while let c = pending.first, c.body.size <= a.chain.count {
                pending.removeFirst()
                if let d = a.settle(c) { return d }
            }
            return nil
        }
        if let d = settle() { return d }
        for e in entries {
            if let d = a.add(e) ?? settle() { return d }
        }
        return pending.last.map { a.leftOver($0) }
    }

    @Test func theWalkFindsEachKindOfDamage() throws {
        let key = SigningIdentity.generate(name: "ledger"), other = SigningIdentity.generate(name: "mallory")
        let entries = LedgerChainTests.chain(12)
        let cps = try [0, 4, 8, 12].map { try Self.checkpoint(entries, size: $0, key: key) }
        #expect(Self.audit(entries, cps, key: key.publicKey) == nil)

        // A removed tail: the chain alone is fine, the newest checkpoint is not.
        #expect(Self.audit(Array(entries.prefix(10)), cps, key: key.publicKey) == .tailRemoved(entries: 10, size: 12, signedAt: 1_795_000_000_000_000))
        // A history rewritten in full by someone without the key: consistent, but not what was signed.
        var rewritten: [LedgerEntry] = []
        for var e in entries {
            if e.seq == 6 { e.actor = "mallory" }
            rewritten.append(LedgerEntry.next(after: rewritten.last.map { ($0.seq, $0.hash) }, timeMicros: e.timeMicros, kind: e.kind,
                                              requestID: e.requestID, actor: e.actor, payload: e.payload))
        }
        #expect(Self.audit(rewritten, cps, key: key.publicKey) == .rewritten(size: 8, signedAt: 1_795_000_000_000_000))
        // …and re-signed with another key: the key id gives it away.
        let resigned = try [0, 4, 8, 12].map { try Self.checkpoint(rewritten, size: $0, key: other) }
        guard case .forgedCheckpoint(0, .otherKey) = Self.audit(rewritten, resigned, key: key.publicKey) else {
            Issue.record("a checkpoint signed by another key was accepted"); return
        }
        // A forged newest checkpoint (same key id, bad signature) is caught by default.
        var forged = cps
        forged[3].body.size = 11
        forged[3].body.head = entries[10].hash
        #expect(Self.audit(entries, forged, key: key.publicKey) == .forgedCheckpoint(size: 11, .badSignature))
        // An older one with a bad signature but a true head only with allSignatures (it vouches
        // for nothing the newest does not).
        var olderForged = cps
        olderForged[1].signature = olderForged[2].signature
        #expect(Self.audit(entries, olderForged, key: key.publicKey) == nil)
        #expect(Self.audit(entries, olderForged, key: key.publicKey, all: true) == .forgedCheckpoint(size: 4, .badSignature))
        // A forged checkpoint claiming a longer ledger is reported as forged, not as a loss.
        var longer = cps
        longer.append(SignedCheckpoint(body: CheckpointBody(ledgerID: Self.ledgerID, size: 20, head: entries[0].hash, timeMicros: 1),
                                       keyID: key.publicKey.id, signature: cps[0].signature))
        #expect(Self.audit(entries, longer, key: key.publicKey) == .forgedCheckpoint(size: 20, .badSignature))
        // Chain damage is still found first.
        var edited = entries
        edited[2].payload = "{}"
        #expect(Self.audit(edited, cps, key: key.publicKey) == .chain(.edited(seq: 3)))
    }
}

/// Property-based: mutated checkpoint texts and JSON documents never crash the parsers; a
/// mutated checkpoint that still parses re-encodes to exactly its text (one text per checkpoint)
/// and, unless the mutation happened to leave it whole, no longer verifies.
@Suite struct WireFuzzTests {
    @Test func mutatedCheckpointsParseCanonicallyOrNotAtAll() throws {
        let key = SigningIdentity(name: "ledger", signingKey: Ed25519.SigningKey(seed: Array(repeating: 7, count: 32))!)
        let good = try CheckpointSigning.sign(CheckpointBody(ledgerID: "0123456789ABCDEF", size: 4242, head: Array(repeating: 0xab, count: 32),
                                                             timeMicros: 1_795_000_000_000_000), with: key)
        let alphabet = Array("gatechkpoinv1 ledgrsizhdtm\nEd0123456789ABCDEFabcdef-_+ \r|".utf8)
        var rng = SplitMix(seed: 0xc0ffee)
        var accepted = 0, forged = 0
        for _ in 0..<20_000 {
            var bytes = Array(good.text.utf8)
            for _ in 0...(rng.next() % 3) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                case 2: if bytes.count > 1 { bytes.remove(at: at) }
                default: bytes[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            guard let parsed = try? SignedCheckpoint(parsing: text) else { continue }
            accepted += 1
            #expect(parsed.text == text, "accepted a non-canonical spelling: \(text.debugDescription)")
            if parsed != good {
                #expect((try? CheckpointSigning.check(parsed, ledgerID: "0123456789ABCDEF", key: key.publicKey)) == nil,
                        "a changed checkpoint verified: \(text.debugDescription)")
                forged += 1
            }
        }
        #expect(accepted > 0 && forged > 0, "the mutations never produced a parseable checkpoint: the test tests nothing")
    }

    @Test func mutatedJSONNeverCrashesTheParser() {
        let seed = #"{"a":[1,-2,0.5,1e3,"x\"y\\z\u00e9\ud83d\ude00",true,false,null],"b":{"c":{}}}"#
        let alphabet = Array(#"{}[]",:\-0123456789.eE+truefalsnu "#.utf8)
        var rng = SplitMix(seed: 0x6a736f6e)
        var parsed = 0
        for _ in 0..<20_000 {
            var bytes = Array(seed.utf8)
            for _ in 0...(rng.next() % 4) {
                let at = Int(rng.next() % UInt64(bytes.count))
                let c = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                switch rng.next() % 3 {
                case 0: bytes[at] = c
                case 1: bytes.insert(c, at: at)
                default: if bytes.count > 1 { bytes.remove(at: at) }
                }
            }
            if let v = try? JSON.parse(String(decoding: bytes, as: UTF8.self)) {
                parsed += 1
                // What parses serialises to something that parses to the same value.
                #expect((try? JSON.parse(v.serialized())) == v)
            }
        }
        #expect(parsed > 0)
    }
}
