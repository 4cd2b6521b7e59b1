import Foundation
import Testing

/// Found by the issue 17 attack round: the last re-hash of what runs by path (a script, bound
/// files) came before the `started` commit, whose write lock anyone who can open the database
/// (the requester, in single-user mode) can hold for as long as they like; a script swapped
/// meanwhile ran under the approval, "approved by bob" in the ledger. A `--token` run did not
/// re-hash at all. The last hash now comes after the commit, immediately before exec.
@Suite struct RecheckAfterStartTests {
    /// A sandbox requiring bob's approval for `deploy` (a script) and for cat of a bound file.
    static func setUp() throws -> Sandbox {
        let (s, bob) = try Sandbox.withApprover()
        try s.write("deploy", "#!/bin/sh\necho approved script\n", mode: 0o755)
        try s.write("plan.txt", "the approved plan\n")
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 -- \(s.path("deploy"))\nrequire 1 bind={1} -- /usr/bin/cat ...\n")
        return s
    }

    /// Holds the state database's write lock for `seconds`, as any process that can open it can.
    static func holdWriteLock(_ s: Sandbox, seconds: Int) throws -> Spawned {
        let hold = try Spawned.start(["/bin/sh", "-c", "( echo 'BEGIN IMMEDIATE;'; echo 'SELECT 1;'; sleep \(seconds); echo 'COMMIT;' ) | sqlite3 \(s.home)/state.db"],
                                     env: s.env, cwd: s.root.path, stdin: nil)
        Thread.sleep(forTimeInterval: 0.4)
        return hold
    }

    static func token(_ s: Sandbox, _ command: [String]) throws -> String {
        let filed = try s.run(["run", "--no-wait", "--"] + command)
        let id = filed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let approved = try s.run(["approve", id, "--key", s.path("bob.key"), "--print-token"])
        #expect(approved.status == 0, "\(approved)")
        return approved.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func expectRefusedAfterStart(_ s: Sandbox, _ r: Spawned.Output, _ what: String) throws {
        #expect(r.status == 77, "\(what): \(r)")
        #expect(!r.stdout.contains("swapped"), "\(what): the swapped file ran: \(r.stdout)")
        #expect(r.stderr.contains("changed since it was approved"), "\(what): \(r.stderr)")
        let end = try s.lastEntry()
        #expect(end.kind == "finished" && end.payload["code"] as? String == "intent-changed" && end.payload["gate_exit"] as? Int == 77,
                "\(what): \(end)")
    }

    @Test(arguments: ["script", "bound file"])
    func aTokenRunSeesAFileSwappedWhileItWaitedForTheLock(what: String) throws {
        let s = try Self.setUp()
        let command = what == "script" ? [s.path("deploy")] : ["/usr/bin/cat", s.path("plan.txt")]
        let token = try Self.token(s, command)
        let hold = try Self.holdWriteLock(s, seconds: 2)
        let run = try s.start(["--token", token, "--"] + command)
        Thread.sleep(forTimeInterval: 0.8)
        if what == "script" {
            try s.write("deploy.new", "#!/bin/sh\necho swapped script\n", mode: 0o755)
            #expect(rename(s.path("deploy.new"), s.path("deploy")) == 0)
        } else {
            try s.write("plan.txt", "swapped plan: 17 to destroy\n")
        }
        _ = hold.finish()
        try Self.expectRefusedAfterStart(s, run.finish(), what)
        // The token is spent: the run cannot be retried until a race is won.
        let again = try s.run(["--token", token, "--"] + command)
        #expect(again.status == 77 && !again.stdout.contains("approved"), "\(again)")
    }

    @Test func aWaitedRunSeesAScriptSwappedWhileItWaitedForTheLock() throws {
        let s = try Self.setUp()
        let requester = try s.start(["--timeout", "60s", "--", s.path("deploy")])
        let id = try s.waitForPending()
        requester.signal(SIGSTOP)
        #expect(try s.run(["approve", id, "--key", s.path("bob.key")]).status == 0)
        let hold = try Self.holdWriteLock(s, seconds: 2)
        requester.signal(SIGCONT)
        Thread.sleep(forTimeInterval: 0.8)
        try s.write("deploy.new", "#!/bin/sh\necho swapped script\n", mode: 0o755)
        #expect(rename(s.path("deploy.new"), s.path("deploy")) == 0)
        _ = hold.finish()
        try Self.expectRefusedAfterStart(s, requester.finish(), "waited script")
        // The request ended refused, not "finished": it did not run.
        let status = try s.run(["status", id])
        #expect(status.stdout.contains("refused") && !status.stdout.contains("finished"), "\(status)")
    }

    /// The second attack round: an ELF program runs from the descriptor gate hashed, but a file
    /// its requester can write can be rewritten in place through that very inode; a token run
    /// did not hash it again.
    @Test func aTokenRunSeesAnELFProgramRewrittenInPlace() throws {
        let s = try Self.setUp()
        #expect(try Spawned.run(["/bin/cp", "/usr/bin/true", s.path("prog")]).status == 0)
        let bob = try String(contentsOfFile: s.policyPath, encoding: .utf8)
        try s.writePolicy(bob.replacingOccurrences(of: "version 1\n", with: "") + "require 1 -- \(s.path("prog"))\n")
        let token = try Self.token(s, [s.path("prog")])
        let hold = try Self.holdWriteLock(s, seconds: 2)
        let run = try s.start(["--token", token, "--", s.path("prog")])
        Thread.sleep(forTimeInterval: 0.8)
        #expect(try Spawned.run(["/bin/sh", "-c", "cat /usr/bin/id > \(s.path("prog"))"]).status == 0)
        _ = hold.finish()
        let r = run.finish()
        #expect(r.status == 77 && !r.stdout.contains("uid="), "\(r)")
        #expect(try s.lastEntry().payload["code"] as? String == "intent-changed")
    }

    /// The attack round's F3: an interpreter reached through a directory its requester controls
    /// is never taken from the digest cache, whatever rows were written into the database (the
    /// requester owns it in single-user mode). Here the directory belongs to `nobody`; a root
    /// requester could change anything of gate's anyway.
    @Test func aPoisonedCacheRowDoesNotCoverAnInterpreterBehindAnotherUsersDirectory() throws {
        let (s, bob) = try Sandbox.withApprover()
        let dir = s.path("theirs")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        #expect(symlink("/usr/bin/bash", dir + "/interp") == 0)
        #expect(lchown(dir + "/interp", 65534, 65534) == 0 && chown(dir, 65534, 65534) == 0)
        try s.write("tool", "#!\(dir)/interp\necho \"bash=$BASH_VERSION\"\n", mode: 0o755)
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 -- \(s.path("tool"))\n")
        let token = try Self.token(s, [s.path("tool")])
        // The link now names dash, and a row claims dash has bash's digest.
        unlink(dir + "/interp")
        #expect(symlink("/usr/bin/dash", dir + "/interp") == 0)
        var st = stat()
        #expect(stat("/usr/bin/dash", &st) == 0)
        let bash = try Spawned.run(["/usr/bin/b2sum", "-l", "256", "/usr/bin/bash"]).stdout.prefix(64)
        let row = "INSERT OR REPLACE INTO file_digests VALUES (\(st.st_dev), \(st.st_ino), \(st.st_size), \(Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)), \(Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)), x'\(bash)')"
        #expect(try Spawned.run(["sqlite3", s.home + "/state.db", row]).status == 0)
        let r = try s.run(["--token", token, "--", s.path("tool")])
        #expect(r.status == 77 && !r.stdout.contains("bash="), "status \(r.status), stdout \(r.stdout), stderr \(r.stderr)")
    }
}
