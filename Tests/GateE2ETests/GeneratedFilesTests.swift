import Foundation
import Testing

/// completions/ and man/gate.1 are generated from the CLI by scripts/generate.sh; these tests
/// fail when a command or option changed and the files were not regenerated.
@Suite struct GeneratedFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func gate(_ args: [String]) throws -> String {
        try Spawned.run([Sandbox.binary] + args).stdout
    }

    /// What scripts/generate.sh writes: argument-parser's script with the hand-written snippet of
    /// scripts/completion/ that completes a command line after `--` (bash, fish: at the end; zsh:
    /// before the lines that run _gate when the file is autoloaded).
    static func expectedCompletion(_ shell: String) throws -> String {
        let generated = try gate(["--generate-completion-script", shell])
        let snippet = try String(contentsOf: root.appendingPathComponent("scripts/completion/gate.\(shell)"), encoding: .utf8)
        guard shell == "zsh" else { return generated + snippet }
        let marker = "if [[ \"${funcstack[1]}\" = _gate ]]; then\n"
        guard let at = generated.range(of: "\n" + marker) else { return generated + snippet }
        return String(generated[...at.lowerBound]) + snippet + "\n" + String(generated[generated.index(after: at.lowerBound)...])
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionsAreCurrent(_ shell: String) throws {
        let committed = try String(contentsOf: Self.root.appendingPathComponent("completions/gate.\(shell)"), encoding: .utf8)
        #expect(try Self.expectedCompletion(shell) == committed, "completions/gate.\(shell) is stale: run scripts/generate.sh")
    }

    @Test func manPageDocumentsEveryCommandAndOption() throws {
        let man = try String(contentsOf: Self.root.appendingPathComponent("man/gate.1"), encoding: .utf8)
        let commands = ["run", "keygen", "list", "show", "approve", "deny", "review", "log", "audit", "policy", "serve"]
        for c in commands {
            #expect(man.contains(".It Em \(c)"), "man/gate.1 lacks '\(c)': run scripts/generate.sh")
            let help = try Self.gate(["help", c])
            // Option lines of the help text: "  --name <value>   help" or "  -h, --help   help".
            for line in help.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard line.hasPrefix("  "), let option = words.first(where: { $0.hasPrefix("--") }),
                      words.firstIndex(of: option)! <= 1 else { continue }
                let name = option.trimmingCharacters(in: CharacterSet(charactersIn: ","))
                #expect(man.contains("Fl -\(name.dropFirst(2))"), "man/gate.1 lacks \(name) of \(c): run scripts/generate.sh")
            }
        }
        #expect(man.contains("EXIT STATUS"))
        #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("man/gate-policy.5").path))
        // gate-server's page (what `gate serve` runs) lists each of its options.
        let server = try String(contentsOf: Self.root.appendingPathComponent("man/gate-server.1"), encoding: .utf8)
        for option in ["listen", "state", "public-url", "webhook", "slack-webhook", "webhook-secret"] {
            #expect(server.contains("Fl -\(option)"), "man/gate-server.1 lacks --\(option): run scripts/generate.sh")
        }
    }
}
