import Foundation
import Testing

/// Issue 15 item 20: the committed bash completion, sourced into a real bash, completes pending
/// request ids after approve, show, deny and review (gate asks itself: `gate list --ids`), and
/// after `gate -- ` a command name, then its arguments (file names without bash-completion).
@Suite(.timeLimit(.minutes(2))) struct CompletionTests {
    static let script = GeneratedFilesTests.root.appendingPathComponent("completions/gate.bash").path

    /// COMPREPLY for the command line `words` with the cursor at the end of the last word,
    /// `_gate` called as bash calls it (or bare, as a person testing it by hand would).
    static func complete(_ s: Sandbox, _ words: [String], bare: Bool = false) throws -> (lines: [String], stderr: String) {
        let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let call = bare ? "_gate" : "_gate gate \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\""
        let program = """
            source '\(script)'
            COMP_WORDS=(\(quoted)); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            \(call)
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let bin = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().path
        let r = try Spawned.run(["bash", "--norc", "--noprofile", "-c", program], env: s.env.merging(["PATH": "\(bin):/usr/bin:/bin"]) { $1 },
                                cwd: s.root.path)
        #expect(r.status == 0, "\(words): \(r.stderr)")
        return (r.stdout.split(separator: "\n").map(String.init), r.stderr)
    }

    @Test func requestIDsCompleteAfterTheCommandsThatTakeOne() throws {
        let (s, _) = try Sandbox.withApprover()
        // Nothing pending, no state directory yet: nothing offered, nothing said, nothing made.
        let none = try Self.complete(s, ["gate", "approve", ""])
        #expect(none.lines.isEmpty && none.stderr.isEmpty, "\(none)")
        #expect(!FileManager.default.fileExists(atPath: s.home), "completing created the state directory")
        let (requester, id) = try s.pendingRequest(["echo", "complete me"])
        defer { requester.signal(SIGKILL); _ = requester.finish() }
        for command in ["approve", "show", "deny", "review"] {
            #expect(try Self.complete(s, ["gate", command, ""]).lines == [id], "\(command)")
            #expect(try Self.complete(s, ["gate", command, String(id.prefix(2))]).lines == [id], "\(command) with a prefix")
            #expect(try Self.complete(s, ["gate", command, ""], bare: true).lines == [id], "\(command), _gate called bare")
        }
        #expect(try Self.complete(s, ["gate", "approve", "--key", "k", ""]).lines == [id])
        // A prefix no id has completes nothing; options still complete as argument-parser says.
        let other = id.hasPrefix("Z") ? "Y" : "Z"
        #expect(try Self.complete(s, ["gate", "approve", other]).lines.isEmpty)
        #expect(try Self.complete(s, ["gate", "approve", "--pr"]).lines == ["--print-token"])
        // The hidden source of the ids: one per line, as gate shows them.
        #expect(try s.run(["list", "--ids"]).stdout == id + "\n")
        #expect(!(try s.run(["list", "--help"]).stdout.contains("--ids")))
    }

    @Test func afterTheTerminatorACommandLineCompletes() throws {
        let s = try Sandbox()
        try s.write("plan-prod.tfplan", "")
        try s.write("plan-staging.tfplan", "")
        for words in [["gate", "--", "ech"], ["gate", "--reason", "x", "--", "ech"], ["gate", "run", "--", "ech"],
                      ["gate", "policy", "explain", "--", "ech"]] {
            let r = try Self.complete(s, words)
            #expect(r.lines.contains("echo") && !r.lines.contains("approve"), "\(words): \(r.lines)")
        }
        // Arguments: the command's own completion with bash-completion, else file names.
        #expect(Set(try Self.complete(s, ["gate", "--", "cat", "plan-"]).lines) == ["plan-prod.tfplan", "plan-staging.tfplan"])
        #expect(try Self.complete(s, ["gate", "--", "terraform", "apply", "plan-p"]).lines == ["plan-prod.tfplan"])
        // Before the terminator it is gate's own completion.
        #expect(try Self.complete(s, ["gate", "appr"]).lines == ["approve"])
    }
}
