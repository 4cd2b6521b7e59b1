import GateCore
import Testing

/// Property: the parser either accepts a text or refuses it with a line inside the text; it never
/// crashes, hangs or reports a line that does not exist. Inputs are mutations of a valid policy
/// (byte flips, insertions of syntax characters, deleted and duplicated lines), deterministic.
@Suite struct PolicyFuzzTests {
    static let seedPolicy = PolicyParsingTests.header + """
        default require 1 ttl=1h
        allow -- ls ...
        allow -- git status ...
        require 2 of sre reason approval-ttl=15m -- terraform apply ...
        require 1 of sre and 1 of dba env:PGDATABASE=customers -- pg_dump ...
        deny "no agents near IAM" agent=* -- aws iam ...
        require 1 of sre break-glass user=alice cwd=/srv -- kubectl apply -f *
        allow -- echo "a b" "c\\"d" \\* ?
        """

    static let alphabet: [UInt8] = Array(" \t\"\\#=-.*?:/,\n\rabcxyz019é".utf8) + [0, 0x7f, 0xff]

    @Test func parserNeverCrashesAndErrorsNameRealLines() {
        var rng = SplitMix(seed: 0x6A7E)
        let base = Array(Self.seedPolicy.utf8)
        var accepted = 0, refused = 0
        let iterations = 20_000
        for _ in 0..<iterations {
            var bytes = base
            for _ in 0..<Int(rng.next() % 4 + 1) {
                let pos = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 5 {
                case 0: bytes[pos] = Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))]
                case 1: bytes.insert(Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))], at: pos)
                case 2: bytes.remove(at: pos)
                case 3: bytes.insert(contentsOf: bytes[pos..<min(bytes.count, pos + 40)], at: pos)
                default: bytes.removeSubrange(pos..<min(bytes.count, pos + Int(rng.next() % 60)))
                }
                if bytes.isEmpty { bytes = [10] }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let lines = text.utf8.split(separator: 10, omittingEmptySubsequences: false).count
            do {
                _ = try PolicyParser.parse(text)
                accepted += 1
            } catch let e as PolicyError {
                refused += 1
                #expect(e.line >= 1 && e.line <= lines, "line \(e.line) of \(lines)")
                #expect(!e.message.isEmpty)
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
        #expect(accepted + refused == iterations)
        #expect(accepted > 0 && refused > 0, "mutations should both keep and break the policy")
    }
}
