import Foundation
import Testing

/// Ephemeral privilege (issue 12): through the gate daemon, an approved command runs as the
/// rule's `as=` user, whose files the requester cannot reach by any path of its own; the
/// requester writes nothing of gate's; exit statuses and signals pass through.
@Suite(.serialized, .enabled(if: DaemonRig.isRoot, "needs root to make unix users and run the daemon"), .timeLimit(.minutes(3)))
struct DaemonTests {
    static let rules = """
        allow as=\(DaemonRig.deploy) -- /bin/sh -c *
        require 1 of sre as=\(DaemonRig.deploy) -- /bin/cat *

        """

    @Test func theAgentReadsDeploysFileOnlyThroughAnApprovedRunAsDeploy() throws {
        let rig = try DaemonRig(Self.rules)
        // Without gate: no path of the agent's own reaches the file.
        let direct = try rig.plain(as: DaemonRig.agent, ["cat", rig.secret])
        #expect(direct.status != 0 && !direct.stdout.contains("DEPLOY-ONLY"))
        // Without approval: nothing runs, however long it waits.
        let unapproved = try rig.run(as: DaemonRig.agent, ["--timeout", "1s", "--", "/bin/cat", rig.secret])
        #expect(unapproved.status == 75, "\(unapproved.stderr)")
        #expect(!unapproved.stdout.contains("DEPLOY-ONLY"))

        let waiting = try rig.start(as: DaemonRig.agent, ["--reason", "read the deploy secret", "--", "/bin/cat", rig.secret])
        let id = try rig.pendingID()
        let approved = try rig.approve(id)
        #expect(approved.status == 0, "\(approved.stderr)")
        let ran = waiting.finish()
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.stdout == "DEPLOY-ONLY-SECRET\n", "the output reaches the agent's own pipe")
        let log = try rig.log()
        #expect(log.contains("\"run_as\":\"\(DaemonRig.deploy)\""), "\(log)")
        #expect(log.contains("\"user\":\"\(DaemonRig.agent)\""), "the requester is the socket's peer")
        #expect(try rig.s.run(["audit", "verify"]).status == 0)
    }

    @Test func exitStatusesSignalsAndTheEnvironmentPassThrough() throws {
        let rig = try DaemonRig(Self.rules)
        let seven = try rig.run(as: DaemonRig.agent, ["--", "/bin/sh", "-c", "echo out; echo err >&2; exit 7"])
        #expect(seven.status == 7 && seven.stdout == "out\n" && seven.stderr.contains("err"))
        let killed = try rig.run(as: DaemonRig.agent, ["--", "/bin/sh", "-c", "kill -TERM $$"])
        #expect(killed.status == 128 + SIGTERM)
        // The command sees deploy's account, not the agent's, and nothing the policy does not keep.
        let env = try rig.run(as: DaemonRig.agent, ["--", "/bin/sh", "-c", "id -un; echo HOME=$HOME USER=$USER; pwd; echo X=$SNEAKY"],
                              env: ["SNEAKY": "leaked", "HOME": "/tmp/fake"])
        #expect(env.stdout.hasPrefix("\(DaemonRig.deploy)\nHOME=/home/\(DaemonRig.deploy) USER=\(DaemonRig.deploy)\n\(rig.work)\nX=\n"), "\(env.stdout)")
        // stdin is the agent's.
        try rig.s.write("in.txt", "typed\n")
        let read = try rig.run(as: DaemonRig.agent, ["--", "/bin/sh", "-c", "read x; echo got:$x"], stdin: rig.s.path("in.txt"))
        #expect(read.stdout == "got:typed\n")
        // SIGINT to the agent's gate reaches the command (and only it): the run ends 130 at once.
        let long = try rig.start(as: DaemonRig.agent, ["--", "/bin/sh", "-c", "echo ready; sleep 30"])
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? String(contentsOfFile: long.out, encoding: .utf8))?.contains("ready") == true
            usleep(25_000)
        }
        let began = Date()
        long.signal(SIGINT)
        let interrupted = long.finish(timeout: 20)
        #expect(interrupted.status == 130, "\(interrupted.stderr)")
        #expect(Date().timeIntervalSince(began) < 10)
        #expect(try rig.log().contains("killed by signal 2") || (try rig.s.run(["log"]).stdout.contains("signal 2")))
    }

    @Test func theRequesterWritesNothingOfGatesAndCannotForgeHistory() throws {
        let rig = try DaemonRig(Self.rules)
        #expect(try rig.run(as: DaemonRig.agent, ["--", "/bin/sh", "-c", "true"]).status == 0)
        for target in [rig.s.home, rig.s.home + "/state.db", rig.s.home + "/ledger.key", rig.s.home + "/ledger.head", rig.s.policyPath] {
            let write = try rig.plain(as: DaemonRig.agent, ["sh", "-c", "echo x >> '\(target)'"])
            #expect(write.status != 0, "the agent could write \(target)")
        }
        // The forged-history attack of the review: append a chained started+finished pair with
        // sqlite3. The agent cannot even open the database.
        let forge = try rig.plain(as: DaemonRig.agent, ["sqlite3", rig.s.home + "/state.db",
                                                       "insert into ledger(seq) values (999)"])
        #expect(forge.status != 0)
        // Nor can it name another state directory or policy through its environment: the daemon's are used.
        let sneaky = try rig.run(as: DaemonRig.agent, ["--timeout", "1s", "--", "/bin/cat", rig.secret],
                                 env: ["GATE_HOME": rig.work, "GATE_POLICY": "/dev/null", "GATE_SOCKET": rig.socket, "GATE_TOKEN": ""] as [String: String])
        #expect(sneaky.status != 0 && !sneaky.stdout.contains("DEPLOY-ONLY"))
        #expect(!FileManager.default.fileExists(atPath: rig.work + "/state.db"))
    }

    @Test func anApprovalCountsOnlyFromTheKeysOwnUser() throws {
        let rig = try DaemonRig(Self.rules)
        let waiting = try rig.start(as: DaemonRig.agent, ["--timeout", "20s", "--", "/bin/cat", rig.secret])
        let id = try rig.pendingID()
        // alice's key, copied to the agent's account: a key is not a person.
        let stolen = rig.s.path("work/stolen.key")
        _ = try Spawned.run(["cp", rig.s.path("alice/alice.key"), stolen])
        _ = try Spawned.run(["chown", DaemonRig.agent, stolen])
        _ = try Spawned.run(["chmod", "600", stolen])
        let byAgent = try rig.approve(id, as: DaemonRig.agent, key: stolen)
        #expect(byAgent.status == 77 && byAgent.stderr.contains("only approvers fetch requests"), "\(byAgent.stderr)")
        // A token signed with the copy and submitted directly: the key is alice's, not the agent's.
        let token = try rig.aliceToken(for: id)
        let answer = try rig.raw(as: DaemonRig.agent, "{\"op\":\"decide\",\"token\":\"\(token)\",\"review\":false}")
        #expect(answer.contains("\"exit\":77"), "\(answer)")
        // Still pending; the refusal is on record, under the agent's name.
        let log = try rig.log()
        #expect(log.contains("\"code\":\"untrusted-key\"") && log.contains("belongs to alice"), "\(log)")
        waiting.signal(SIGINT)
        #expect(waiting.finish().status == 75)
        #expect(!(try rig.log().contains("\"kind\":\"started\"")))
    }

    @Test func aDaemonKilledMidRunLeavesALedgerThatVerifiesAndSaysTheEndIsUnknown() throws {
        let rig = try DaemonRig(Self.rules)
        let long = try rig.start(as: DaemonRig.agent, ["--", "/bin/sh", "-c", "echo ready; sleep 3"])
        for _ in 0..<200 where (try? String(contentsOfFile: long.out, encoding: .utf8))?.contains("ready") != true { usleep(25_000) }
        rig.daemon.signal(SIGKILL)
        let client = long.finish(timeout: 20)
        #expect(client.status == 74, "\(client.stderr)")
        #expect(client.stderr.contains("gate: error: the gate daemon closed the connection"))
        usleep(300_000)
        let verify = try rig.s.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("outcome unknown"), "\(verify.stdout)")
    }

    @Test func anAsRuleWithoutTheDaemonIsRefusedNotRunAsTheRequester() throws {
        let s = try Sandbox()
        try s.writePolicy("allow as=nobody -- /bin/sh -c *\n")
        let r = try s.run(["--", "/bin/sh", "-c", "echo ran"])
        #expect(r.status == 77 && r.stdout.isEmpty, "\(r.stderr)")
        #expect(r.stderr.contains("only the gate daemon"))
        #expect(try s.run(["log", "--json"]).stdout.contains("\"code\":\"run-as\""))
    }

    @Test func onTheAgentsTerminalTheCommandReadsAndWritesItAndCtrlCEndsIt() throws {
        let rig = try DaemonRig(Self.rules)
        let env = rig.env(DaemonRig.agent).map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let t = try TerminalTests.Tmux(command: "cd \(rig.work) && env -i \(env) TERM=xterm " + DaemonRig.asUser(DaemonRig.agent, ["bash", "--norc", "--noprofile"]).joined(separator: " "))
        try t.type("\(Sandbox.binary) -- /bin/sh -c 'read -r line; echo \"got: $line as $(id -un)\"'; echo EXIT=$?")
        usleep(300_000)
        try t.type("typed at the terminal")
        _ = try t.waitFor("\nEXIT=0")
        #expect(try t.screen().contains("got: typed at the terminal as \(DaemonRig.deploy)"))
        try t.type("\(Sandbox.binary) -- /bin/sh -c 'printf \"re%sdy\\\\n\" a; sleep 30'; echo STA''TUS=$?")
        _ = try t.waitFor("ready")
        usleep(200_000)
        try t.key("C-c")
        // (The typed line says STA''TUS, so only the shell's answer can satisfy the wait.)
        let screen = try t.waitFor("STATUS=", timeout: 10)
        #expect(screen.contains("STATUS=130"), "\(screen)")
    }

    /// A client speaking the protocol directly can pass any descriptor as its directory: an
    /// O_PATH one needs no permission on the directory itself. The daemon enters it only as the
    /// requester could.
    /// The daemon keeps workers forked with the state database already open (issue 12's
    /// numbers). A database moved aside after they opened it is not the one they write: a run
    /// then meets the state directory as it is now (here, a new database beside the old head:
    /// refused), and the moved ledger gains nothing.
    @Test func aPreparedWorkerDoesNotWriteAStateDatabaseMovedAside() throws {
        let rig = try DaemonRig(Self.rules)
        #expect(try rig.run(as: DaemonRig.agent, ["--", "/bin/sh", "-c", "true"]).status == 0)
        usleep(300_000)  // the workers prepared after that run have opened the database
        let count = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from ledger').fetchone()[0])"
        let before = Int(try Spawned.run(["python3", "-c", count, rig.s.home + "/state.db"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        let aside = rig.s.path("aside")
        try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
        for f in ["state.db", "state.db-wal", "state.db-shm"] { rename(rig.s.home + "/" + f, aside + "/" + f) }
        // Runs until every worker prepared before the move has served one: the first finds no
        // database at the path (and makes one); the next find a file there again, but not the
        // one they opened.
        for _ in 0..<4 {
            let r = try rig.run(as: DaemonRig.agent, ["--", "/bin/sh", "-c", "echo RAN"])
            // What a worker opening the state directory afresh says: a new database beside the
            // old ledger's head.
            #expect(r.status == 65 && !r.stdout.contains("RAN") && r.stderr.contains("replaced or recreated"), "\(r)")
        }
        let moved = try Spawned.run(["python3", "-c", count, aside + "/state.db"])
        #expect(Int(moved.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == before, "\(moved) vs \(before) entries before")
    }

    @Test func aDirectoryTheRequesterCannotEnterIsNotEnteredForThem() throws {
        let rig = try DaemonRig(Self.rules)
        let client = """
            import json, os, socket, struct, sys
            d = os.open(sys.argv[2], os.O_PATH | os.O_DIRECTORY)
            req = json.dumps({"op": "run", "argv": ["/bin/sh", "-c", "ls; cat secret.txt"], "env": ["PATH=/usr/bin:/bin"],
                              "reason": "", "ticket": "", "timeout": None, "tokens": [], "break_glass": False}).encode()
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
            socket.send_fds(s, [struct.pack(">I", len(req)) + req], [0, 1, 2, d])
            buf = b""
            while True:
                c = s.recv(65536)
                if not c: break
                buf += c
            print(buf[4:].decode())
            """
        let r = try Spawned.run(DaemonRig.asUser(DaemonRig.agent, ["/usr/bin/python3", "-c", client, rig.socket, rig.s.path("deploy")]),
                                env: rig.env(DaemonRig.agent), cwd: rig.work)
        #expect(!r.stdout.contains("DEPLOY-ONLY") && !r.stderr.contains("DEPLOY-ONLY"), "\(r.stdout)")
        #expect(r.stdout.contains("cannot enter the working directory"), "\(r.stdout)\(r.stderr)")
        #expect(!(try rig.log().contains("\"kind\":\"started\"")))
    }
}
