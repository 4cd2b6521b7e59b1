import Foundation
import Testing

/// Issue 15: the policies in examples/ are ready to use: each passes `gate policy check` with no
/// warning, its approver lines are real keys, and there is one for kubectl, helm and psql.
@Suite(.timeLimit(.minutes(2))) struct ExamplePolicyTests {
    static let examples = GeneratedFilesTests.root.appendingPathComponent("examples")

    @Test func everyExamplePolicyChecksWithoutWarnings() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { $0.hasSuffix(".policy") }.sorted()
        for name in ["kubectl.policy", "helm.policy", "psql.policy"] {
            #expect(files.contains(name), "examples/\(name) is missing")
        }
        let s = try Sandbox()
        let key = try s.keygen("placeholder")
        for name in files {
            // A template's placeholders (demo.policy's @ALICE_KEY@, which scripts/demo.sh fills)
            // become a real key, as the demo makes them; every other key must be one already.
            var text = try String(contentsOf: Self.examples.appendingPathComponent(name), encoding: .utf8)
            text = text.replacing(#/@[A-Z_]+_KEY@/#, with: key)
            try s.write(name, text, mode: 0o600)
            let r = try s.run(["policy", "check", s.path(name)])
            #expect(r.status == 0 && r.stdout.hasPrefix("policy ok: ") && !r.stdout.contains("warning") && r.stderr.isEmpty,
                    "examples/\(name): \(r.stdout)\(r.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(try s.run(["policy", "check", "--json", s.path(name)]).stdout.utf8)) as? [String: Any]
            #expect((json?["warnings"] as? [Any])?.isEmpty == true, "examples/\(name): \(String(describing: json))")
            // Ready to use means real rules with comments that say why, not an empty file.
            if ["kubectl.policy", "helm.policy", "psql.policy"].contains(name) {
                #expect((json?["rules"] as? Int ?? 0) >= 8 && (json?["approvers"] as? Int ?? 0) >= 2, "examples/\(name): \(String(describing: json))")
                #expect(text.split(separator: "\n").filter { $0.hasPrefix("#") }.count >= 5, "examples/\(name) explains too little")
            }
        }
    }
}
