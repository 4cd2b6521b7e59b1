import Foundation
import GateCore
import GateWire
import Testing

@Suite struct IntentEncodingTests {
    static func intent(from v: Vector) throws -> Intent {
        let argv = try v.fields["argv", default: []].map { try JSONDecoder().decode(String.self, from: Data($0.utf8)) }
        let files = v.fields["bound-file", default: []].map { line -> Intent.BoundFile in
            let space = line.lastIndex(of: " ")!
            return .init(path: String(line[..<space]), digest: hexBytes(String(line[line.index(after: space)...])))
        }
        let env = v.fields["bound-env", default: []].map { line -> Intent.BoundVariable in
            let eq = line.firstIndex(of: "=")!
            return .init(name: String(line[..<eq]), value: String(line[line.index(after: eq)...]))
        }
        let shown = v.fields["context", default: []].map { line -> Intent.ShownOutput in
            let space = line.lastIndex(of: " ")!
            return .init(name: String(line[..<space]), digest: hexBytes(String(line[line.index(after: space)...])))
        }
        return Intent(argv: argv, executable: v.one("executable"), executableDigest: hexBytes(v.one("executable-digest")),
                      cwd: v.one("cwd"), user: v.one("user"), uid: UInt64(v.one("uid"))!, agent: v.one("agent"),
                      host: v.one("host"), boundFiles: files, boundEnvironment: env, shown: shown)
    }

    @Test("digest vectors (computed by tools/gate_verify.py from SPEC.md)", arguments: try Vector.all(in: "intent"))
    func digestVector(_ v: Vector) throws {
        let intent = try Self.intent(from: v)
        #expect(v.expect == "digest " + IntentDigest(intent).hex, "\(v.name)")
    }

    @Test("parse → encode round trip is the identity", arguments: try Vector.all(in: "intent"))
    func roundTrip(_ v: Vector) throws {
        let bytes = try Self.intent(from: v).encoded()
        let decoded = try Intent(decoding: bytes)
        #expect(decoded.encoded() == bytes)
        #expect(decoded == (try Self.intent(from: v)))
    }

    @Test func differentSplitsOfTheSameWordsDiffer() throws {
        let vs = try Vector.all(in: "intent")
        let a = vs.first { $0.name == "joined-differs.txt" }!, b = vs.first { $0.name == "joined-differs-2.txt" }!
        #expect(a.expect != b.expect)
    }

    @Test func nonCanonicalEncodingsAreRefused() throws {
        let v = try Vector.all(in: "intent").first { $0.name == "bound-files-and-env.txt" }!
        let intent = try Self.intent(from: v)
        var bytes = intent.encoded()
        // Trailing byte.
        #expect(throws: WireError.self) { try Intent(decoding: bytes + [0]) }
        // Truncation at every length.
        for n in 0..<bytes.count { #expect(throws: WireError.self) { try Intent(decoding: Array(bytes[0..<n])) } }
        // Bound variables out of order: swap the two (same lengths, so only the order differs).
        var w = ByteWriter()
        w.fixed(Intent.magic); w.u32(UInt32(intent.argv.count)); for a in intent.argv { w.string(a) }
        w.string(intent.executable); w.fixed(intent.executableDigest); w.string(intent.cwd); w.string(intent.user)
        w.u64(intent.uid); w.string(intent.agent); w.string(intent.host)
        w.u32(UInt32(intent.boundFiles.count)); for f in intent.boundFiles { w.string(f.path); w.fixed(f.digest) }
        w.u32(2); for e in intent.boundEnvironment.reversed() { w.string(e.name); w.string(e.value) }
        #expect(throws: WireError.self) { try Intent(decoding: w.bytes) }
        // Bad magic.
        bytes[0] ^= 1
        #expect(throws: WireError.self) { try Intent(decoding: bytes) }
    }

    @Test func invalidUTF8IsRefusedNotRepaired() throws {
        var w = ByteWriter()
        w.fixed(Intent.magic); w.u32(1); w.data([0xff, 0xfe])
        #expect(throws: WireError.self) { try Intent(decoding: w.bytes) }
    }
}
