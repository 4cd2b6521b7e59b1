import Foundation
import GateCrypto
import GateWire
import Testing

/// SPEC.md §10: a change to a format changes SPEC.md. The vectors (every format's golden and
/// malformed cases) and the second verifier are digested; SPEC.md names the digest next to its
/// revision note, so a format change that forgets the document fails here.
@Suite struct SpecRevisionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// BLAKE2b-256 over each file, sorted by path: path || 0x00 || bytes || 0x00.
    static func formatsDigest() throws -> String {
        var files = ["tools/gate_verify.py"]
        let vectors = root.appendingPathComponent("Tests/GateCoreTests/Vectors")
        let walk = FileManager.default.enumerator(atPath: vectors.path)
        while let path = walk?.nextObject() as? String {
            if path.hasSuffix(".txt") { files.append("Tests/GateCoreTests/Vectors/" + path) }
        }
        var input: [UInt8] = []
        for file in files.sorted() {
            input += Array(file.utf8) + [0]
            input += Array(try Data(contentsOf: root.appendingPathComponent(file))) + [0]
        }
        return Hex.encode(BLAKE2b.hash(input))
    }

    /// Not under scripts/mutate.sh: every mutation of the verifier would fail here, whatever its
    /// behaviour; the mutation run asks whether a behaviour test notices.
    @Test(.disabled(if: ProcessInfo.processInfo.environment["GATE_MUTATION"] != nil, "a mutation run"))
    func theSpecNamesTheDigestOfItsVectorsAndVerifier() throws {
        let spec = try String(contentsOf: Self.root.appendingPathComponent("SPEC.md"), encoding: .utf8)
        let digest = try Self.formatsDigest()
        #expect(spec.contains("Formats digest: `\(digest)`"),
                "the vectors or tools/gate_verify.py changed: update SPEC.md (the revision note and §10's digest, now \(digest))")
    }
}
