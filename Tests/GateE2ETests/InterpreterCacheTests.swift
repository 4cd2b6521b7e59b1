import Foundation
import Testing

/// Issue 17: the digests of root-owned interpreters are remembered by inode, size, mtime and
/// change time (Store.fileDigest). Whatever changes such a file must still change what a
/// run binds: a token approved before the change is refused after it, however the change is
/// made (same size, mtime put back). Files anyone but root could write are never remembered.
@Suite struct InterpreterCacheTests {
    /// A sandbox whose policy requires bob's approval for `script`, a `#!` script run by `interp`
    /// (a copy of /bin/sh, owned by root, 0755), both settled (older than the cache's 2 s).
    static func setUp() throws -> (Sandbox, script: String, interp: String) {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        let dir = s.path("bin")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let interp = dir + "/interp", script = dir + "/script"
        #expect(try Spawned.run(["/bin/cp", "/bin/sh", interp]).status == 0)
        #expect(try Spawned.run(["/bin/sh", "-c", "printf '#!\(interp)\\necho ran\\n' > \(script) && chmod 755 \(script) \(interp)"]).status == 0)
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 -- \(script)\n")
        Thread.sleep(forTimeInterval: 2.2)
        return (s, script, interp)
    }

    static func token(_ s: Sandbox, _ script: String) throws -> String {
        let filed = try s.run(["run", "--no-wait", "--", script])
        #expect(filed.status == 75, "\(filed)")
        let id = filed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let approved = try s.run(["approve", id, "--key", s.path("bob.key"), "--print-token"])
        #expect(approved.status == 0, "\(approved)")
        return approved.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The rows remembered for `file`'s inode (the chain's ELF loader has its own row).
    static func rows(_ s: Sandbox, for file: String) throws -> Int {
        let ino = (try FileManager.default.attributesOfItem(atPath: file)[.systemFileNumber] as? NSNumber)?.int64Value ?? -1
        let out = try Spawned.run(["sqlite3", s.home + "/state.db", "SELECT count(*) FROM file_digests WHERE ino = \(ino)"])
        return Int(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test(arguments: ["same size, one byte", "same size, mtime put back", "replaced by another file"])
    func aChangedInterpreterIsNoticedAfterItWasRemembered(change: String) throws {
        let (s, script, interp) = try Self.setUp()
        let first = try Self.token(s, script)
        #expect(try Self.rows(s, for: interp) == 1, "the settled root-owned interpreter was not remembered")
        // The remembered digest serves a run with a token...
        let ran = try s.run(["--token", first, "--", script])
        #expect(ran.status == 0 && ran.stdout == "ran\n", "\(ran)")
        let second = try Self.token(s, script)
        // ...and a change to the interpreter, made now, is bound by the next capture.
        let edit: String
        switch change {
        case "same size, one byte":
            edit = "printf 'X' | dd of=\(interp) bs=1 seek=200 conv=notrunc status=none"
        case "same size, mtime put back":
            edit = "m=$(stat -c %y \(interp)); printf 'Y' | dd of=\(interp) bs=1 seek=300 conv=notrunc status=none; touch -m -d \"$m\" \(interp)"
        default:
            edit = "cp /bin/bash \(interp).new && mv \(interp).new \(interp)"  // /bin/sh is dash here
        }
        #expect(try Spawned.run(["/bin/sh", "-c", edit]).status == 0)
        let refused = try s.run(["--token", second, "--", script])
        #expect(refused.status == 77, "\(change): a token approved before the interpreter changed ran after it: \(refused)")
        #expect(refused.stdout.isEmpty)
    }

    @Test func anInterpreterOthersCanWriteIsNeverRemembered() throws {
        let (s, script, interp) = try Self.setUp()
        #expect(try Spawned.run(["/bin/chmod", "775", interp]).status == 0)
        Thread.sleep(forTimeInterval: 2.2)
        _ = try Self.token(s, script)
        #expect(try Self.rows(s, for: interp) == 0)
        // An access ACL can grant a user write while the mode bits say root alone (scripts/test.sh
        // installs acl for setfacl).
        #expect(try Spawned.run(["/bin/chmod", "755", interp]).status == 0)
        let acl = try Spawned.run(["/usr/bin/setfacl", "-m", "u:nobody:rw", interp])
        #expect(acl.status == 0, "setfacl: \(acl)")
        Thread.sleep(forTimeInterval: 2.2)
        _ = try Self.token(s, script)
        #expect(try Self.rows(s, for: interp) == 0, "an interpreter with an ACL granting write was remembered")
    }
}
