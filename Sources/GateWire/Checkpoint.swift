/// A signed statement about a ledger (SPEC.md §6.2): "ledger L had SIZE entries and its newest
/// entry's hash was HEAD at TIME". The hash chain makes HEAD a commitment to every earlier entry,
/// so one valid checkpoint vouches for the whole prefix; a copy kept elsewhere (the server, syslog,
/// an auditor's file) shows a removed tail or a rewritten history.
///
/// Text form, six lines, in this order, each ending in "\n"; the first five are what is signed:
///
///     gate checkpoint v1
///     ledger 5F0C2A9B7D41E3C8
///     size 1234
///     head 9e1b…(64 lowercase hex)
///     time 1795320000123456
///     sig Ed 3A5C…(key id) <base64url 64-byte signature>
public struct CheckpointBody: Equatable, Sendable {
    public static let header = "gate checkpoint v1"
    public static let ledgerIDLength = 8

    /// 8 random bytes naming the ledger (made with the database), 16 uppercase hex digits.
    public var ledgerID: String
    public var size: Int64
    public var head: [UInt8]
    public var timeMicros: Int64

    public init(ledgerID: String, size: Int64, head: [UInt8], timeMicros: Int64) {
        precondition(head.count == 32 && size >= 0 && timeMicros >= 0)
        self.ledgerID = ledgerID
        self.size = size
        self.head = head
        self.timeMicros = timeMicros
    }

    /// The exact bytes the ledger key signs.
    public var signedText: String {
        "\(Self.header)\nledger \(ledgerID)\nsize \(size)\nhead \(Hex.encode(head))\ntime \(timeMicros)\n"
    }

    public static func isLedgerID(_ s: String) -> Bool {
        s.utf8.count == 2 * ledgerIDLength && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) }
    }
}

public struct SignedCheckpoint: Equatable, Sendable {
    public var body: CheckpointBody
    public var keyID: KeyID
    public var signature: [UInt8]

    public init(body: CheckpointBody, keyID: KeyID, signature: [UInt8]) {
        precondition(signature.count == 64)
        self.body = body
        self.keyID = keyID
        self.signature = signature
    }

    public var text: String {
        body.signedText + "sig Ed \(keyID) \(Base64URL.encode(signature))\n"
    }

    /// Strict: exactly the six lines above, canonical numbers and hex, one final newline, nothing
    /// else. Any other spelling is refused, so one checkpoint has one text. Works on the bytes
    /// (an audit parses hundreds of thousands of these).
    public init(parsing text: String) throws {
        var text = text
        self = try text.withUTF8 { try Self.parse($0) }
    }

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) throws -> SignedCheckpoint {
        // Bytes, not Characters: Swift reads "\r\n" as one Character.
        guard !b.contains(13) else { throw WireError("a checkpoint's lines end in LF, not CRLF") }
        // Where each line starts and ends, as plain integers: an array of slices was a generic
        // type made at run time (~0.1 M instructions a run, callgrind, issue 17).
        var starts: [Int] = [], ends: [Int] = []
        var start = 0
        for i in b.indices where b[i] == 10 {
            starts.append(start)
            ends.append(i)
            start = i + 1
        }
        guard starts.count == 6, start == b.count else { throw WireError("a checkpoint is six lines, each ending in a newline") }
        func line(_ index: Int) -> Slice<UnsafeBufferPointer<UInt8>> { b[starts[index]..<ends[index]] }
        guard line(0).elementsEqual(CheckpointBody.header.utf8) else {
            throw WireError("not a gate checkpoint (first line must be '\(CheckpointBody.header)')")
        }
        func value(_ index: Int, _ name: String) throws -> Slice<UnsafeBufferPointer<UInt8>> {
            let line = line(index)
            let prefix = Array((name + " ").utf8)
            guard line.count >= prefix.count, line.prefix(prefix.count).elementsEqual(prefix) else {
                throw WireError("line \(index + 1): expected '\(name) …'")
            }
            return line.dropFirst(prefix.count)
        }
        let ledger = try value(1, "ledger")
        guard ledger.count == 16, ledger.allSatisfy(isUpperHex) else { throw WireError("line 2: ledger id is not 16 uppercase hex digits") }
        guard let size = canonicalNumber(try value(2, "size")) else { throw WireError("line 3: size is not a canonical number") }
        let headText = try value(3, "head")
        guard headText.count == 64, headText.allSatisfy(isLowerHex) else { throw WireError("line 4: head is not 64 lowercase hex digits") }
        guard let time = canonicalNumber(try value(4, "time")) else { throw WireError("line 5: time is not a canonical number") }
        // Three fields separated by single spaces: 'Ed', the key id, the signature.
        let sigLine = try value(5, "sig")
        let spaces = sigLine.indices.filter { sigLine[$0] == 32 }
        guard spaces.count == 2, sigLine[sigLine.startIndex..<spaces[0]].elementsEqual("Ed".utf8) else {
            throw WireError("line 6: expected 'sig Ed KEYID SIGNATURE'")
        }
        let keyText = sigLine[(spaces[0] + 1)..<spaces[1]], signatureText = sigLine[(spaces[1] + 1)...]
        guard keyText.count == 16, keyText.allSatisfy(isUpperHex), let keyID = KeyID(bytes: (try? Hex.decode(bytes: Array(keyText))) ?? []) else {
            throw WireError("line 6: key id is not 16 uppercase hex digits")
        }
        guard let signature = try? Base64URL.decode(bytes: Array(signatureText)), signature.count == 64 else {
            throw WireError("line 6: signature is not 64 bytes of base64url")
        }
        return SignedCheckpoint(body: CheckpointBody(ledgerID: String(decoding: ledger, as: UTF8.self), size: size,
                                                     head: try Hex.decode(bytes: Array(headText)), timeMicros: time),
                                keyID: keyID, signature: signature)
    }

    private static func isUpperHex(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x41...0x46).contains(c) }
    private static func isLowerHex(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x61...0x66).contains(c) }

    /// Decimal digits, no sign, no leading zero (except "0"), within Int64.
    static func canonicalNumber<C: Collection<UInt8>>(_ digits: C) -> Int64? {
        guard let first = digits.first, digits.count <= 19, digits.allSatisfy({ (0x30...0x39).contains($0) }),
              first != 0x30 || digits.count == 1 else { return nil }
        var n: Int64 = 0
        for d in digits {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(d - 0x30))
            guard !o1, !o2 else { return nil }
            n = a
        }
        return n
    }
}
