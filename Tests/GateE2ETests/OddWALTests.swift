import Foundation
import Testing

/// From the issue 17 attack round: a state.db-wal that is a symlink or a directory was reported
/// as "cannot write state database … check the permissions of GATE_HOME". It is named now, and
/// the link's target is never touched.
@Suite struct OddWALTests {
    @Test(arguments: ["symlink", "directory"])
    func anOddWALIsNamed(kind: String) throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- /bin/true\n")
        #expect(try s.run(["--", "/bin/true"]).status == 0)
        let wal = s.home + "/state.db-wal"
        unlink(wal)
        unlink(s.home + "/state.db-shm")
        try s.write("victim", "untouched\n")
        if kind == "symlink" { #expect(symlink(s.path("victim"), wal) == 0) } else { #expect(mkdir(wal, 0o700) == 0) }
        let r = try s.run(["--", "/bin/true"])
        #expect(r.status == 78 && r.stderr.contains("state.db-wal is a \(kind == "symlink" ? "symbolic link" : "directory")"), "\(r)")
        #expect(try String(contentsOfFile: s.path("victim"), encoding: .utf8) == "untouched\n")
    }
}
