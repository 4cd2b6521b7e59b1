import Foundation
import Testing

/// Bound files are named by their bytes. Two names that are one text in different Unicode forms
/// (é as U+00E9, and e + U+0301) are two files: both are bound, and a change to either refuses
/// the run. Swift's String == treats them as equal; gate must not.
@Suite(.timeLimit(.minutes(2))) struct BindingTests {
    @Test func namesThatAreOneTextInTwoUnicodeFormsAreBothBound() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 bind={1} bind={2} -- head * *\n")
        let composed = s.path("\u{E9}"), decomposed = s.path("e\u{301}")
        #expect(Array(composed.utf8) != Array(decomposed.utf8))
        #expect(FileManager.default.createFile(atPath: composed, contents: Data("first\n".utf8)))
        #expect(FileManager.default.createFile(atPath: decomposed, contents: Data("approved\n".utf8)))
        let requester = try s.start(["--", "head", composed, decomposed])
        let id = try s.waitForPending()
        let shown = try JSONSerialization.jsonObject(with: Data(try s.run(["show", id, "--json"]).stdout.utf8)) as? [String: Any] ?? [:]
        let bound = (shown["bound_files"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }.map { Array($0.utf8) }
        #expect(bound.contains(Array(composed.utf8)) && bound.contains(Array(decomposed.utf8)), "\(shown)")
        // The second file is swapped after the approval (the requester held meanwhile): the
        // approved run is refused.
        requester.signal(SIGSTOP)
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        #expect(FileManager.default.createFile(atPath: decomposed, contents: Data("SWAPPED\n".utf8)))
        requester.signal(SIGCONT)
        let out = requester.finish()
        #expect(out.status == 77 && !out.stdout.contains("SWAPPED") && out.stderr.contains("refusing to run"), "\(out)")
    }
}
