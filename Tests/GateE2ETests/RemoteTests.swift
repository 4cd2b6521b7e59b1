import Foundation
import GateCore
import GateWire
import Testing

/// Remote approvals through a real gate-server on 127.0.0.1, with the requester and the
/// approvers as separate processes with separate GATE_HOMEs (issue 5).
@Suite(.timeLimit(.minutes(3))) struct RemoteTests {
    /// A server (or whatever answers at its address) that sends what is not HTTP gate can read:
    /// one `gate: error:` line and exit 65, as `gate --help` documents for a malformed answer,
    /// not 69 "cannot reach" (this session's attack round, F2).
    @Test func aMalformedAnswerIsExit65() throws {
        let s = try Sandbox()
        let portFile = s.path("port")
        let server = """
            import socket, sys
            l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(8)
            open(sys.argv[1] + ".tmp", "w").write(str(l.getsockname()[1]))
            import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
            for answer in sys.argv[2:]:
                c, _ = l.accept(); c.recv(65536); c.sendall(answer.encode()); c.close()
            """
        let answers = ["HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno", "NOT HTTP AT ALL\r\n\r\n"]
        let py = try Spawned.start(["python3", "-c", server, portFile] + answers)
        defer { py.signal(SIGKILL); _ = py.finish(timeout: 5) }
        var port = ""
        for _ in 0..<500 where port.isEmpty {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? ""
            usleep(10_000)
        }
        for _ in answers {
            let r = try s.run(["list"], env: ["GATE_SERVER": "http://127.0.0.1:\(port)"])
            #expect(r.status == 65 && r.stderr.hasPrefix("gate: error: the gate server at http://127.0.0.1:\(port)") && !r.stderr.contains("cannot reach"), "\(r)")
        }
    }

    @Test func approvedThroughTheServerRunsAndBothLedgersSayWhat() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/echo", "remote", "ok"])
        let id = try rig.waitForPending(requester)
        let shown = try rig.s.run(["show", id, "--no-pager"], env: rig.approverEnv("alice"))
        #expect(shown.status == 0 && shown.stdout.contains("/bin/echo remote ok") && shown.stdout.contains("decisions   none yet"), "\(shown)")
        let approved = try rig.approve(id, as: "alice")
        #expect(approved.status == 0, "\(approved.stderr)")
        let out = requester.finish()
        #expect(out.status == 0 && out.stdout == "remote ok\n", "\(out)")
        #expect(out.stderr.contains("request page: \(rig.url)/r/") && out.stderr.contains("gate approve \(id)"), "\(out.stderr)")
        #expect(out.stderr.contains("approved by alice; running"), "\(out.stderr)")
        // Each ledger records the policy its decisions were made under before the first of them.
        #expect(try rig.serverLedgerKinds() == ["policy", "requested", "approved", "checkpoint-copy"])
        let local = try rig.s.ledger().map { $0["kind"] as? String ?? "" }
        #expect(local == ["policy", "requested", "started", "finished"], "\(local)")
        // The server recorded the requester's signed statement: a third party checks it with the
        // requester's public key alone (tools/gate_verify.py), and a changed one is rejected.
        let serverLog = try rig.s.run(["log", "--json"], env: ["GATE_HOME": rig.stateDir]).stdout
        let first = try JSONSerialization.jsonObject(with: Data(serverLog.split(separator: "\n")[1].utf8)) as? [String: Any] ?? [:]
        let payload = first["payload"] as? [String: Any] ?? [:]
        let statement = payload["statement"] as? String ?? ""
        let verifier = EvidenceTests.verifier
        let checked = try Spawned.run(["python3", verifier, "statement", statement, rig.keys["ci1"]!, payload["intent_digest"] as? String ?? ""])
        #expect(checked.status == 0 && checked.stdout.contains("ok: create of request \(id.replacingOccurrences(of: "-", with: ""))"), "\(checked)")
        let other = try Spawned.run(["python3", verifier, "statement", statement, rig.keys["alice"]!])
        #expect(other.status == 1 && other.stderr.contains("is signed by key"), "\(other)")
        var altered = Array(statement)
        altered[20] = altered[20] == "A" ? "B" : "A"
        #expect(try Spawned.run(["python3", verifier, "statement", String(altered), rig.keys["ci1"]!]).status == 1)
        // The run proves itself from the requester's ledger alone, approvals included.
        let bundle = rig.s.path("evidence.json")
        #expect(try rig.s.run(["audit", "evidence", id, "--out", bundle]).status == 0)
        let evidence = try Spawned.run(["python3", verifier, "evidence", bundle])
        #expect(evidence.status == 0 && evidence.stdout.contains("alice"), "\(evidence)")
        // The server's ledger verifies and is sealed by its own checkpoints.
        let verify = try rig.s.run(["audit", "verify"], env: ["GATE_HOME": rig.stateDir])
        #expect(verify.status == 0, "\(verify)")
        // …and verifies without gate: its `checkpoint-copy` entry is a kind SPEC lists, and every
        // recorded statement is re-checked under the recorded key (SPEC.md §9.2).
        #expect((payload["requester_key"] as? String).map { rig.keys["ci1"]!.hasPrefix($0) } == true, "\(payload)")
        try rig.s.write("server.jsonl", serverLog)
        let whole = try Spawned.run(["python3", verifier, "ledger", rig.s.path("server.jsonl")])
        #expect(whole.status == 0, "\(whole)")
        // A recorded body that is not the one the statement signed is caught (checked on the
        // entry's payload, as a verifier that trusts the chain but not the server would).
        let copy = serverLog.split(separator: "\n").first { $0.contains("\"kind\":\"checkpoint-copy\"") }.map(String.init) ?? ""
        // The entry is re-hashed (it is the newest, so nothing after it breaks): only the
        // statement check can catch it.
        let script = """
            import json, sys; sys.path.insert(0, sys.argv[1]); import gate_verify as g
            e = json.loads(sys.argv[2]); p = json.loads(e["payload_text"])
            g.check_recorded_statement(e)
            p["body"] = "e30"; e["payload_text"] = json.dumps(p); e.pop("payload")
            e["hash"] = g.entry_hash(e["seq"], e["time_us"], e["kind"], e["request_id"], e["actor"], e["payload_text"],
                                     bytes.fromhex(e["prev_hash"])).hex()
            try: g.verify_entries([e])
            except g.Rejected as r: print("rejected:", r)
            """
        let tools = URL(fileURLWithPath: verifier).deletingLastPathComponent().path
        let swapped = try Spawned.run(["python3", "-c", script, tools, copy])
        #expect(swapped.status == 0 && swapped.stdout.contains("rejected: entry") && swapped.stdout.contains("not the one the statement signed"), "\(swapped)")
    }

    @Test func theServersCheckpointCopyRevealsATailRemovedOnTheHost() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/echo", "sealed"])
        let id = try rig.waitForPending(requester)
        #expect(try rig.approve(id, as: "alice").status == 0)
        #expect(requester.finish().status == 0)
        // The run's checkpoint went to the server after the run.
        let fine = try rig.s.run(["audit", "verify", "--from-server"], env: rig.requesterEnv)
        #expect(fine.status == 0 && fine.stdout.contains("server copy: covers entries 1–4") && fine.stdout.contains("from ci1"), "\(fine)")
        // Someone with write access to the host's state removes the run and the checkpoints
        // that covered it: the host's ledger alone now looks whole…
        let sql = "DROP TRIGGER ledger_no_delete; DROP TRIGGER checkpoints_no_delete; DELETE FROM ledger WHERE seq > 2; DELETE FROM checkpoints WHERE size > 2"
        #expect(try Spawned.run(["sqlite3", rig.s.home + "/state.db", sql]).status == 0)
        // (The host's head file still remembers entry 4; a thorough intruder removes it too.)
        #expect(try rig.s.run(["audit", "verify"]).status == 65)
        try FileManager.default.removeItem(atPath: rig.s.home + "/ledger.head")
        let local = try rig.s.run(["audit", "verify"])
        #expect(local.status == 0, "\(local)")
        // …but not against the copy the server holds.
        let remote = try rig.s.run(["audit", "verify", "--from-server"], env: rig.requesterEnv)
        #expect(remote.status == 65 && remote.stderr.contains("the ledger ends at entry 2") && remote.stderr.contains("covers 4"), "\(remote)")
        // And the host cannot make the server forget: resending the old checkpoint (signed
        // before the copy held) changes nothing there, and the next one, signed after it, is
        // refused.
        let old = try rig.s.run(["audit", "checkpoint"], env: rig.requesterEnv)
        #expect(old.status == 0, "\(old)")
        #expect(try rig.s.run(["audit", "verify", "--from-server"], env: rig.requesterEnv).status == 65)
        try rig.s.writePolicy("allow -- /bin/true\n", to: "local-policy")
        _ = try rig.s.run(["--", "/bin/true"], env: ["GATE_POLICY": rig.s.path("local-policy")])
        let shrink = try rig.s.run(["audit", "checkpoint"], env: rig.requesterEnv)
        // (Two entries later it is as long as the copy held, with another head: "rewritten".)
        #expect(shrink.status == 77 && (shrink.stderr.contains("entries were removed from that ledger") || shrink.stderr.contains("history was rewritten")), "\(shrink)")
    }

    @Test func deniedThroughTheServerRefusesWithTheReason() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/echo", "never"])
        let id = try rig.waitForPending(requester)
        #expect(try rig.deny(id, as: "bob", reason: "not during the freeze").status == 0)
        let out = requester.finish()
        #expect(out.status == 77 && out.stdout.isEmpty, "\(out)")
        #expect(out.stderr.contains("denied by bob: not during the freeze"), "\(out.stderr)")
        #expect(try rig.serverLedgerKinds() == ["policy", "requested", "denied"])
        // The requester's host records the denial it acted on, with the approver's token.
        let last = try rig.s.ledger().last ?? [:]
        #expect(last["kind"] as? String == "denied" && last["actor"] as? String == "bob", "\(last)")
        // A decided request cannot be decided again, on the server either.
        let again = try rig.approve(id, as: "alice")
        #expect(again.status == 77 && again.stderr.contains("is denied, not pending"), "\(again.stderr)")
        let approverLog = try rig.s.run(["log", "--json"], env: rig.approverEnv("alice")).stdout
        #expect(approverLog.contains("\"kind\":\"refused\"") && approverLog.contains("not-pending"), "\(approverLog)")
    }

    @Test func twoOfThreeNeedsTwoDistinctPeople() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/printf", "%s\\n", "two"])
        let id = try rig.waitForPending(requester)
        #expect(try rig.approve(id, as: "alice").status == 0)
        usleep(300_000)
        #expect(requester.isRunning, "ran on one approval of two")
        // The same person twice is still one person.
        let twice = try rig.approve(id, as: "alice")
        #expect(twice.status == 77 && twice.stderr.contains("alice already approved"), "\(twice.stderr)")
        usleep(300_000)
        #expect(requester.isRunning, "ran on the same approver twice")
        #expect(try rig.approve(id, as: "carol").status == 0)
        let out = requester.finish()
        #expect(out.status == 0 && out.stdout == "two\n", "\(out)")
    }

    @Test func serverRestartAndCrashWhileWaitingLoseNothing() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/echo", "survived"], timeout: "90s")
        let id = try rig.waitForPending(requester)
        // Graceful stop, then start again on the same port: the request is still pending.
        let stopped = rig.stopServer(SIGTERM)
        #expect(stopped?.status == 0, "\(String(describing: stopped))")
        try rig.startServer()
        #expect(try rig.waitForPending() == id)
        // Killed outright while the requester waits: it says so, keeps trying, and carries on.
        _ = rig.stopServer(SIGKILL)
        let down = try rig.s.run(["list"], env: rig.approverEnv("alice"))
        #expect(down.status == 69 && down.stderr.contains("cannot reach the gate server"), "\(down)")
        usleep(1_500_000)
        try rig.startServer()
        #expect(try rig.waitForPending() == id)
        #expect(try rig.approve(id, as: "bob").status == 0)
        let out = requester.finish()
        #expect(out.status == 0 && out.stdout == "survived\n", "\(out)")
        #expect(out.stderr.contains("lost the gate server") && out.stderr.contains("the gate server is back"), "\(out.stderr)")
    }

    /// Behind a proxy, a restarting server looks like 502s: the requester keeps waiting.
    @Test func aProxys502WhileWaitingIsRetried() throws {
        let rig = try RemoteRig()
        let down = rig.s.path("upstream-down")
        try rig.s.write("upstream-down", "")
        let (proxy, port) = try RemoteRig.startFixture("flaky_proxy.py", [String(rig.port), down])
        defer { proxy.signal(SIGKILL); _ = proxy.finish(timeout: 5) }
        let requester = try rig.s.start(["--timeout", "60s", "--", "/bin/echo", "through", "the", "proxy"],
                                        env: rig.requesterEnv.merging(["GATE_SERVER": "http://127.0.0.1:\(port)"]) { $1 })
        let id = try rig.waitForPending(requester)
        usleep(800_000)  // a few 502s
        try FileManager.default.removeItem(atPath: down)
        #expect(try rig.approve(id, as: "alice").status == 0)
        let out = requester.finish()
        #expect(out.status == 0 && out.stdout == "through the proxy\n", "\(out)")
        #expect(out.stderr.contains("lost the gate server at http://127.0.0.1:\(port) (HTTP 502); retrying") && out.stderr.contains("the gate server is back"), "\(out.stderr)")
    }

    @Test func aForgedApprovalInTheServersDatabaseIsRefusedByTheRequester() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/echo", "must not run"])
        let id = try rig.waitForPending(requester)
        // Whoever controls the server writes an approval with a key of their own straight into
        // its database, then a genuine approval arrives too: the requester refuses (fail closed).
        let shown = try rig.s.run(["show", id, "--json", "--no-pager"], env: rig.approverEnv("alice"))
        let j = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any] ?? [:]
        let digest = try Hex.decode(j["intent_digest"] as? String ?? "")
        let mallory = SigningIdentity.generate(name: "mallory")
        let now = UInt64(Date().timeIntervalSince1970)
        let token = try TokenSigning.sign(TokenPayload(keyID: mallory.publicKey.id, requestID: id.replacingOccurrences(of: "-", with: ""),
                                                       intentDigest: digest, decision: .approve, issuedAt: now, expiresAt: now + 600,
                                                       nonce: Array(repeating: 7, count: 16), comment: ""), with: mallory)
        let sql = "INSERT INTO tokens(request_id, token, received_us) VALUES ('\(id.replacingOccurrences(of: "-", with: ""))', '\(token.text)', 0)"
        let inserted = try Spawned.run(["sqlite3", rig.stateDir + "/state.db", sql])
        #expect(inserted.status == 0, "\(inserted.stderr)")
        #expect(try rig.approve(id, as: "alice").status == 0)
        let out = requester.finish()
        #expect(out.status == 77 && out.stdout.isEmpty, "\(out)")
        #expect(out.stderr.contains("which the policy does not trust"), "\(out.stderr)")
        #expect(try rig.s.lastEntry().payload["code"] as? String == "untrusted-key")
    }

    @Test func refusalsBeforeAnyWaitAreClearAndRecorded() throws {
        let rig = try RemoteRig()
        // An unregistered requester key: the server refuses, gate says why (77).
        let other = try rig.s.run(["keygen", "--name", "stranger", "--out", rig.s.path("stranger.key"), "--no-passphrase"])
        #expect(other.status == 0)
        let stranger = try rig.s.run(["--", "/bin/echo", "x"], env: rig.requesterEnv.merging(["GATE_REQUESTER_KEY": rig.s.path("stranger.key")]) { $1 })
        #expect(stranger.status == 77 && stranger.stderr.contains("not a registered requester"), "\(stranger)")
        #expect(try rig.s.lastEntry().payload["code"] as? String == "server-refused")
        // No requester key at all: a configuration error with the command that makes one.
        let nokey = try rig.s.run(["--", "/bin/echo", "x"], env: rig.requesterEnv.merging(["GATE_REQUESTER_KEY": rig.s.path("none.key")]) { $1 })
        #expect(nokey.status == 78 && nokey.stderr.contains("needs a requester key") && nokey.stderr.contains("gate: hint: gate keygen"), "\(nokey)")
        // The server down: exit 69 at once, not a hang, and the refusal is on record.
        _ = rig.stopServer(SIGKILL)
        let down = try rig.s.run(["--", "/bin/echo", "x"], env: rig.requesterEnv)
        #expect(down.status == 69 && down.stderr.contains("cannot reach the gate server at \(rig.url)"), "\(down)")
        #expect(try rig.s.lastEntry().payload["code"] as? String == "server-unavailable")
        // A URL gate cannot use is a configuration error, not a connection attempt.
        let ftp = try rig.s.run(["list"], env: ["GATE_SERVER": "ftp://gate.example"])
        #expect(ftp.status == 78 && ftp.stderr.contains("is not an http:// or https:// URL"), "\(ftp)")
        // Allowed commands never need the server.
        try rig.s.writePolicy("allow -- /bin/true\n")
        #expect(try rig.s.run(["--", "/bin/true"], env: rig.requesterEnv).status == 0)
    }

    /// SPEC §9 is enough to talk to the server: the Python implementation (on top of
    /// tools/gate_verify.py) signs statements, intents and tokens that gate-server accepts, and
    /// its long-polls are released by the approvals.
    @Test func aClientWrittenFromTheSpecIsAccepted() throws {
        let rig = try RemoteRig()
        let script = GeneratedFilesTests.root.appendingPathComponent("scripts/bench-remote-waiters.py").path
        let keys = rig.s.path("py-keys.json")
        // The server re-reads its policy on each request: this one registers the Python keys.
        #expect(try Spawned.run(["python3", script, "--setup", rig.stateDir, keys]).status == 0)
        let out = try Spawned.run(["python3", script, "--run", rig.url, keys, String(rig.server!.pid), "5"], timeout: 60)
        #expect(out.status == 0 && out.stdout.contains("released 5 of 5 (status approved: 5)"), "\(out)")
        #expect(try rig.serverLedgerKinds().filter { $0 == "approved" }.count == 5)
    }

    /// An approver without a local policy copy: the server's checks are the ones that refuse,
    /// and the approver's host records what the server said.
    @Test func theServerRefusesAnUntrustedApproverAndTheApproverHostRecordsIt() throws {
        let rig = try RemoteRig()
        _ = try rig.s.keygen("mallory")
        let requester = try rig.request(["/bin/echo", "x"])
        let id = try rig.waitForPending(requester)
        let env = rig.approverEnv("mallory").merging(["GATE_POLICY": rig.s.path("no-such-policy")]) { $1 }
        let out = try rig.s.run(["approve", id], env: env)
        #expect(out.status == 77 && out.stderr.contains("the gate server refused: token is signed by key") && out.stderr.contains("which the policy does not trust"), "\(out)")
        let log = try rig.s.run(["log", "--json"], env: env).stdout
        #expect(log.contains("\"kind\":\"refused\"") && log.contains("server-refused"), "\(log)")
        // A key the server does not trust vouches for nothing: the operator's log has the
        // refusal, the chained ledger does not.
        #expect(try rig.serverLedgerKinds() == ["policy", "requested"])
        requester.signal(SIGTERM)
        _ = requester.finish()
    }

    @Test func theTimeoutWithdrawsTheRequestOnTheServerToo() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/echo", "too", "late"], timeout: "2s")
        let id = try rig.waitForPending(requester)
        let out = requester.finish()
        #expect(out.status == 75 && out.stdout.isEmpty && out.stderr.contains("no decision on request \(id) within 2s; request withdrawn"), "\(out)")
        #expect(try rig.serverLedgerKinds() == ["policy", "requested", "cancelled"])
        #expect(try rig.s.lastEntry().kind == "cancelled")
    }

    @Test func ctrlCWithdrawsTheRequestOnTheServerToo() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/echo", "x"])
        let id = try rig.waitForPending(requester)
        requester.signal(SIGINT)
        let out = requester.finish()
        #expect(out.status == 75 && out.stderr.contains("withdrawn"), "\(out)")
        #expect(try rig.serverLedgerKinds() == ["policy", "requested", "cancelled"])
        // The withdrawal's signed statement is on the server's record, and checks out without gate.
        try rig.s.write("server.jsonl", try rig.s.run(["log", "--json"], env: ["GATE_HOME": rig.stateDir]).stdout)
        let cancelled = try rig.s.ledger(home: rig.stateDir).last?["payload"] as? [String: Any] ?? [:]
        #expect((cancelled["statement"] as? String)?.hasPrefix("gatereq1.") == true, "\(cancelled)")
        let verified = try Spawned.run(["python3", EvidenceTests.verifier, "ledger", rig.s.path("server.jsonl")])
        #expect(verified.status == 0, "\(verified)")
        let late = try rig.approve(id, as: "alice")
        #expect(late.status == 77 && late.stderr.contains("cancelled, not pending"), "\(late.stderr)")
        // The approver's own host records that refusal, as in local mode.
        let approverLog = try rig.s.run(["log", "--json"], env: rig.approverEnv("alice")).stdout
        #expect(approverLog.contains("\"kind\":\"refused\"") && approverLog.contains("not-pending"), "\(approverLog)")
    }

    /// Issue 11: a token presented with --token is checked against its request on the gate
    /// server too: a denial recorded there (and nowhere on this host) denies.
    @Test func aPresentedTokenForARequestDeniedOnTheServerIsRefused() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/printf", "x"])
        let id = try rig.waitForPending(requester)
        // The requester files on the server, then on its own host: kill it once both hold it.
        _ = try rig.s.waitForPending()
        requester.signal(SIGKILL)
        _ = requester.finish()
        let a = try rig.s.run(["approve", id, "--print-token"], env: rig.approverEnv("alice"))
        #expect(a.status == 0, "\(a.stderr)")
        #expect(try rig.deny(id, as: "carol", reason: "no").status == 0)
        let r = try rig.s.run(["--token", a.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--", "/bin/printf", "x"], env: rig.requesterEnv)
        #expect(r.status == 77 && r.stdout.isEmpty && r.stderr.contains("denied"), "\(r)")
        #expect(try rig.s.lastEntry().payload["code"] as? String == "denied")
    }
}
