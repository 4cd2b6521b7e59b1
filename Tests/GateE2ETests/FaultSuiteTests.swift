import Foundation
import Testing

/// Issue 13's fault suite: the state directory on a small tmpfs that fills up or turns
/// read-only, a gate killed in each phase, a server killed mid-decision. After each: nothing ran
/// that was not recorded as starting, gate said why with a documented status, the next run works
/// once the fault is gone, and `audit verify` tells the truth. (A full disk at the end of a run,
/// a lost WAL, a damaged key and a gate killed mid-command are in FaultTests.)
@Suite(.timeLimit(.minutes(3))) struct FaultSuiteTests {
    /// A sandbox whose GATE_HOME is on its own 2 MiB tmpfs (root only: CI runs as root).
    static func onSmallDisk(_ s: Sandbox) throws -> (disk: String, env: [String: String])? {
        guard getuid() == 0 else { return nil }
        let disk = s.path("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        guard try Spawned.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", disk]).status == 0 else { return nil }
        return (disk, ["GATE_HOME": disk + "/home"])
    }

    static func fill(_ disk: String) throws {
        _ = try Spawned.run(["sh", "-c", "dd if=/dev/zero of=\(disk)/fill bs=16k 2>/dev/null; true"])
    }

    static func verifyPasses(_ s: Sandbox, env: [String: String], entries: Int? = nil) throws {
        let v = try s.run(["audit", "verify"], env: env)
        #expect(v.status == 0, "\(v)")
        if let entries { #expect(v.stdout.hasPrefix("ledger ok: \(entries) entries"), "\(v.stdout)") }
    }

    /// The disk is full before the start (or the request) can be recorded: nothing runs, exit 74
    /// naming the disk; once there is room, the next run works and the ledger is whole.
    @Test func aFullDiskBeforeTheStartRunsNothing() throws {
        let (s, _) = try Sandbox.withApprover("allow -- touch ...\nallow -- true\nrequire 1 -- sh ...\n")
        guard let (disk, env) = try Self.onSmallDisk(s) else { return }
        defer { _ = try? Spawned.run(["umount", disk]) }
        #expect(try s.run(["--", "true"], env: env).status == 0)
        try Self.fill(disk)
        let marker = s.path("ran")
        let allowed = try s.run(["--", "touch", marker], env: env)
        #expect(allowed.status == 74 && allowed.stderr.contains("the disk is full") && allowed.stderr.contains("gate: hint: free space"), "\(allowed)")
        let filed = try s.run(["--", "sh", "-c", "touch \(marker)"], env: env)
        #expect(filed.status == 74 && filed.stderr.contains("the disk is full"), "\(filed)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(try s.run(["list", "--json"], env: env).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        try FileManager.default.removeItem(atPath: disk + "/fill")
        #expect(try s.run(["--", "touch", marker], env: env).status == 0)
        #expect(FileManager.default.fileExists(atPath: marker))
        try Self.verifyPasses(s, env: env, entries: 4)
    }

    /// A file system that counts no blocks (a tmpfs without a size limit reports 0 of 0 free) is
    /// not taken for a full one: gate runs there as anywhere (the free-block check is for file
    /// systems that say how much room they have).
    @Test func aStateDirectoryOnAnUnlimitedTmpfsWorks() throws {
        guard getuid() == 0 else { return }
        let s = try Sandbox()
        try s.writePolicy("allow -- true\n")
        let disk = s.path("unlimited")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        guard try Spawned.run(["mount", "-t", "tmpfs", "-o", "size=0", "tmpfs", disk]).status == 0 else { return }
        defer { _ = try? Spawned.run(["umount", disk]) }
        let env = ["GATE_HOME": disk + "/home"]
        let r = try s.run(["--", "true"], env: env)
        #expect(r.status == 0, "\(r)")
        try Self.verifyPasses(s, env: env, entries: 2)
    }

    /// A state directory that turned read-only (a remount after an error): nothing runs (78),
    /// reading still works, and once writable again so does running.
    @Test func aReadOnlyStateDirectoryRunsNothing() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- touch ...\nallow -- true\n")
        guard let (disk, env) = try Self.onSmallDisk(s) else { return }
        defer { _ = try? Spawned.run(["umount", disk]) }
        #expect(try s.run(["--", "true"], env: env).status == 0)
        #expect(try Spawned.run(["mount", "-o", "remount,ro", disk]).status == 0)
        let marker = s.path("ran")
        let run = try s.run(["--", "touch", marker], env: env)
        #expect(run.status == 78 && run.stderr.contains("the start could not be recorded") && run.stderr.contains("readonly"), "\(run)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(try s.run(["list"], env: env).status == 0)
        try Self.verifyPasses(s, env: env, entries: 2)
        #expect(try Spawned.run(["mount", "-o", "remount,rw", disk]).status == 0)
        #expect(try s.run(["--", "touch", marker], env: env).status == 0)
        try Self.verifyPasses(s, env: env, entries: 4)
    }

    /// A gate killed while it waits for approval: its request is abandoned, not pending forever;
    /// an approval given afterwards runs nothing; the next run works and the ledger is whole.
    @Test func aGateKilledWhileWaitingLeavesNothingWaiting() throws {
        let (s, _) = try Sandbox.withApprover("allow -- true\nrequire 1 -- touch ...\n")
        let marker = s.path("ran")
        let (requester, id) = try s.pendingRequest(["touch", marker])
        requester.signal(SIGKILL)
        _ = requester.finish()
        let shown = try s.run(["list", "--json"]).stdout
        #expect(shown.contains("\"abandoned\"") || shown.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(shown)")
        _ = try s.run(["approve", id, "--key", s.path("bob.key")])
        usleep(300_000)
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(try s.run(["--", "true"]).status == 0)
        try Self.verifyPasses(s, env: [:])
    }

    /// gate-server killed while approvals arrive: restarted on the same state, its ledger
    /// verifies, every decision it acknowledged is on record, and requesters carry on.
    @Test func aServerKilledMidDecisionRestartsWhole() throws {
        let rig = try RemoteRig()
        for round in 0..<3 {
            let requester = try rig.request(["/bin/echo", "round\(round)"], timeout: "90s")
            let id = try rig.waitForPending(requester)
            let approving = try rig.s.start(["approve", id], env: rig.approverEnv("alice"))
            usleep(UInt32(round) * 15_000)
            _ = rig.stopServer(SIGKILL)
            let answer = approving.finish()
            try rig.startServer()
            let verify = try rig.s.run(["audit", "verify"], env: ["GATE_HOME": rig.stateDir, "GATE_POLICY": rig.stateDir + "/policy"])
            #expect(verify.status == 0, "round \(round): \(verify)")
            // The request is approved (the decision got in) or still pending (it did not).
            // (An approval whose answer was lost may still have got in: approve only a pending one.)
            let shown = try rig.s.run(["show", id, "--json"], env: rig.approverEnv("alice"))
            let status = (try? JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])?["status"] as? String
            if answer.status != 0, status == "pending" {
                let again = try rig.approve(id, as: "alice")
                #expect(again.status == 0, "round \(round): \(again)")
            }
            let out = requester.finish()
            #expect(out.status == 0 && out.stdout == "round\(round)\n", "round \(round): \(out)")
        }
        let kinds = try rig.serverLedgerKinds()
        #expect(kinds.filter { $0 == "approved" }.count >= 3, "\(kinds)")
    }
}
