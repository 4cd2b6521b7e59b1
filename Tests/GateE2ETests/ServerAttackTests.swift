import Foundation
import Testing

/// Issue 18: gate-server attacked as a stranger on the network and as a hostile requester would,
/// on real processes.
@Suite(.timeLimit(.minutes(3))) struct ServerAttackTests {
    /// 3,000 writes no key vouches for, naming a real request, on four connections: the chained
    /// ledger does not grow, the operator's log stays short, health answers throughout.
    @Test func anUnauthenticatedFloodLeavesTheLedgerAsItWas() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/echo", "target"])
        let id = try rig.waitForPending(requester).replacingOccurrences(of: "-", with: "")
        defer { requester.signal(SIGINT); _ = requester.finish() }
        let before = try rig.serverLedgerKinds()
        let flood = """
            import http.client, json, sys, threading, time
            port, rid = int(sys.argv[1]), sys.argv[2]
            codes, slow = {}, []
            def hammer(n):
                c = http.client.HTTPConnection("127.0.0.1", port)
                for i in range(n):
                    body = json.dumps({"token": "x%d" % i}) if i % 2 else json.dumps({"statement": "gatereq1.AAAA.BBBB", "body": "e30"})
                    path = "/v1/requests/%s/decisions" % rid if i % 2 else "/v1/requests"
                    c.request("POST", path, body, {"Content-Type": "application/json"})
                    r = c.getresponse(); r.read()
                    codes[r.status] = codes.get(r.status, 0) + 1
            def health():
                c = http.client.HTTPConnection("127.0.0.1", port)
                for _ in range(100):
                    t = time.time(); c.request("GET", "/v1/health"); c.getresponse().read(); slow.append(time.time() - t)
            ts = [threading.Thread(target=hammer, args=(750,)) for _ in range(4)] + [threading.Thread(target=health)]
            for t in ts: t.start()
            for t in ts: t.join()
            print(json.dumps({"codes": codes, "health_max_ms": round(max(slow) * 1000, 1)}))
            """
        let out = try Spawned.run(["python3", "-c", flood, String(rig.port), id], timeout: 120)
        #expect(out.status == 0 && out.stdout.contains("\"400\": 3000"), "\(out)")
        #expect(try rig.serverLedgerKinds() == before)
        let health = try Spawned.run(["curl", "-s", "\(rig.url)/v1/health"]).stdout
        #expect(health.contains("\"unattributed_refusals\":1500"), "\(health)")
        let log = (try? String(contentsOfFile: rig.server!.err, encoding: .utf8)) ?? ""
        let lines = log.split(separator: "\n").filter { $0.contains("refused an unsigned or unknown write") }
        #expect(lines.count >= 20 && lines.count < 200, "\(lines.count) log lines for 1,500 refusals")
    }

    /// A requester that parks requests cannot bury anyone's: at most --max-pending each (429,
    /// recorded under its name), and every list (API, `gate list`, the page) is newest first
    /// with the count of all.
    @Test func parkedRequestsAreCappedAndNeverHideTheNewest() throws {
        let rig = try RemoteRig(serverArgs: ["--max-pending", "3"])
        var parked: [Spawned] = []
        defer { for p in parked { p.signal(SIGINT); _ = p.finish() } }
        for i in 0..<3 {
            parked.append(try rig.request(["/bin/echo", "parked\(i)"]))
            let deadline = Date().addingTimeInterval(20)
            while try Spawned.run(["curl", "-s", "\(rig.url)/v1/requests"]).stdout.components(separatedBy: "\"id\"").count < i + 2, Date() < deadline {
                usleep(20_000)
            }
        }
        let refused = try rig.s.run(["--", "/bin/echo", "one too many"], env: rig.requesterEnv)
        #expect(refused.status == 69 && refused.stderr.contains("already has 3 pending requests"), "\(refused)")  // 429: try later
        #expect(try rig.serverLedgerKinds().last == "refused")
        let list = try Spawned.run(["curl", "-s", "\(rig.url)/v1/requests"]).stdout
        let json = try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [String: Any] ?? [:]
        let created = (json["requests"] as? [[String: Any]] ?? []).compactMap { $0["created_us"] as? Int }
        #expect(created.count == 3 && created == created.sorted(by: >) && json["total"] as? Int == 3, "\(list)")
        let page = try rig.curl("/")
        #expect(page.contains("parked2") && page.range(of: "parked2")!.lowerBound < page.range(of: "parked0")!.lowerBound, "\(page)")
    }

    /// Context outputs count against their requester's quota while kept, and go once their
    /// requests have ended (their digests stay in the ledger): 8 requests of 13 MiB each used to
    /// be kept forever.
    @Test func contextOutputsHaveAQuotaAndExpireWithTheirRequests() throws {
        let rig = try RemoteRig(rules: "context blob -- /usr/bin/head -c 600000 /dev/urandom\nrequire 1 of sre context=blob -- /bin/echo ...\n",
                                serverArgs: ["--context-quota", "1000000", "--context-retention", "0"])
        let first = try rig.request(["/bin/echo", "first"])
        let id = try rig.waitForPending(first)
        let second = try rig.s.run(["--", "/bin/echo", "second"], env: rig.requesterEnv)
        #expect(second.status == 65 && second.stderr.contains("would pass its quota of 976 KiB"), "\(second)")  // 413, as a body too large
        #expect(try rig.serverLedgerKinds().last == "refused")
        // Denied: the first request's output goes, and the requester has room again.
        #expect(try rig.deny(id, as: "alice", reason: "no").status == 0)
        _ = first.finish()
        let third = try rig.request(["/bin/echo", "third"])
        _ = try rig.waitForPending(third)
        third.signal(SIGINT)
        _ = third.finish()
        // (Expired outputs are swept when the next request is filed.)
        let shown = try rig.curl("/v1/requests/\(id.replacingOccurrences(of: "-", with: ""))")
        #expect(shown.contains("\"blobs\":[]") && shown.contains("\"digest\""), "\(shown.prefix(600))")
        let page = try rig.curl("/r/\(id.replacingOccurrences(of: "-", with: ""))")
        #expect(page.contains("200 OK"), "\(page.prefix(300))")
        let show = try rig.s.run(["show", id, "--no-pager"], env: rig.approverEnv("alice"))
        #expect(show.status == 0 && show.stdout.contains("is not in this state directory"), "\(show)")
    }

    /// A stranger cannot make the server read a large body: without a Gate-Statement header a
    /// new request's body may be 64 KiB, and a header that is not a fresh statement by a
    /// registered requester is refused before any of the body is read (16 such 24 MiB uploads
    /// took 490 MiB). A registered requester's large request still goes through (the quota
    /// test sends 600 KB of context).
    @Test func largeBodiesAreReadOnlyForARegisteredRequester() throws {
        let rig = try RemoteRig()
        let pid = try #require(rig.server?.pid)
        // A statement by a key the server does not register, as gate itself sends it.
        _ = try rig.s.run(["keygen", "--name", "stranger", "--out", rig.s.path("stranger.key"), "--no-passphrase"])
        let stranger = try rig.caughtStatement(env: ["GATE_REQUESTER_KEY": rig.s.path("stranger.key")])
        #expect(stranger.hasPrefix("gatereq1."), "\(stranger)")
        let flood = """
            import socket, sys, threading, time
            port, statement = int(sys.argv[1]), sys.argv[2]
            answers = []
            def upload(header):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(b"POST /v1/requests HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 25165000\\r\\n" + header + b"\\r\\n")
                s.settimeout(10)
                start = time.time()
                try:
                    for _ in range(16):
                        s.sendall(b"x" * 65536)
                except OSError:
                    pass
                try: answers.append((s.recv(64).split(b"\\r\\n")[0].decode(), round(time.time() - start, 2)))
                except OSError as e: answers.append((repr(e), 0))
            hs = [b""] * 8 + [b"Gate-Statement: " + statement.encode() + b"\\r\\n"] * 8
            ts = [threading.Thread(target=upload, args=(h,)) for h in hs]
            for t in ts: t.start()
            for t in ts: t.join()
            print(sorted(set(a for a, _ in answers)), max(t for _, t in answers))
            """
        let out = try Spawned.run(["python3", "-c", flood, String(rig.port), stranger], timeout: 60)
        #expect(out.stdout.hasPrefix("['HTTP/1.1 403 Forbidden', 'HTTP/1.1 413 Payload Too Large']"), "\(out)")
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let hwm = Int(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect(hwm > 0 && hwm < 150_000, "peak RSS \(hwm) kB")
        #expect(try rig.serverLedgerKinds().isEmpty)
        // A registered requester's fresh statement, seen once (on the wire, in a log): used
        // again, it unlocks nothing; the server answers before reading the body.
        let seen = try rig.caughtStatement()
        let replay = """
            import socket, sys
            port, statement = int(sys.argv[1]), sys.argv[2]
            for wait in (2, 10):
                s = socket.create_connection(("127.0.0.1", port)); s.settimeout(wait)
                s.sendall(b"POST /v1/requests HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 20000000\\r\\nGate-Statement: " + statement.encode() + b"\\r\\n\\r\\n")
                try: print(s.recv(400).decode(errors="replace").split("\\r\\n")[0])
                except OSError as e: print("no answer before the body", e)
            """
        let replayed = try Spawned.run(["python3", "-c", replay, String(rig.port), seen], timeout: 60)
        #expect(replayed.stdout.hasSuffix("HTTP/1.1 403 Forbidden\n"), "\(replayed)")
        #expect(try rig.serverLedgerKinds().isEmpty)
    }

    /// Finding 1: the runner's user rewrites the host's ledger (entry 2's actor), re-chains it,
    /// re-signs with the host's own ledger key and sends a larger copy. The server holds a copy of
    /// the real history: the new one carries entries that do not lead from it, and is refused;
    /// `verify --from-server` checks the ledger against every copy the server holds.
    @Test func aRewrittenReSignedLedgerCannotReplaceTheServersCopy() throws {
        let rig = try RemoteRig()
        let requester = try rig.request(["/bin/echo", "EXFILTRATE-DB"])
        let id = try rig.waitForPending(requester)
        #expect(try rig.approve(id, as: "alice").status == 0)
        #expect(requester.finish().status == 0)
        try rig.s.writePolicy("allow -- /bin/true\n", to: "local-policy")
        let local = ["GATE_POLICY": rig.s.path("local-policy")]
        #expect(try rig.s.run(["--", "/bin/true"], env: local.merging(rig.requesterEnv) { $1 }).status == 0)
        let before = try rig.s.run(["audit", "verify", "--from-server"], env: rig.requesterEnv)
        #expect(before.status == 0 && before.stdout.contains("as do all"), "\(before)")
        // The second implementation checks the server's copies extend each other (SPEC §9.3)…
        try rig.s.write("server.jsonl", try rig.s.run(["log", "--json"], env: ["GATE_HOME": rig.stateDir]).stdout)
        #expect(try rig.serverLedgerKinds().filter { $0 == "checkpoint-copy" }.count >= 2)
        let checked = try Spawned.run(["python3", EvidenceTests.verifier, "ledger", rig.s.path("server.jsonl")])
        #expect(checked.status == 0, "\(checked)")
        // …and refuses a copy whose entries do not lead from the one held.
        let forged = """
            import sys, base64, json
            sys.path.insert(0, sys.argv[1]); import gate_verify as g
            def copy(seq, size, head, entries, actor="ci1"):
                body = base64.urlsafe_b64encode(json.dumps({"entries": entries}).encode()).decode().rstrip("=")
                return {"seq": seq, "kind": "checkpoint-copy", "actor": actor,
                        "payload_text": json.dumps({"ledger": "00112233AABBCCDD", "size": size, "head": head, "body": body})}
            def entry(seq, actor, prev):
                e = {"seq": seq, "time_us": seq, "kind": "started", "request_id": "R", "actor": actor, "payload_text": "{}", "prev_hash": prev}
                e["hash"] = g.entry_hash(seq, seq, "started", "R", actor, "{}", bytes.fromhex(prev)).hex()
                return e
            e1 = entry(1, "a", "00" * 32); e2 = entry(2, "a", e1["hash"])
            alt1 = entry(1, "mallory", "00" * 32); alt2 = entry(2, "mallory", alt1["hash"])
            def chained(copies):
                # A server ledger of these copies, hash-chained as gate writes one (SPEC §6).
                out, prev = [], bytes(32)
                for i, c in enumerate(copies, 1):
                    e = {"seq": i, "time_us": i, "kind": "checkpoint-copy", "request_id": "00112233AABBCCDD", "actor": c["actor"],
                         "payload_text": c["payload_text"], "prev_hash": prev.hex()}
                    h = g.entry_hash(i, i, e["kind"], e["request_id"], e["actor"], e["payload_text"], prev)
                    e["hash"] = h.hex(); prev = h; out.append(e)
                return out
            for second, want in [(copy(2, 2, e2["hash"], [e2]), True), (copy(2, 2, alt2["hash"], [alt2]), False),
                                 (copy(2, 2, e2["hash"], []), False), (copy(2, 2, e2["hash"], [e2], actor="squat"), False)]:
                try:
                    g.verify_entries(chained([copy(1, 1, e1["hash"], []), second])); ok = True
                except g.Rejected:
                    ok = False
                print("ok" if ok == want else "WRONG")
            """
        let verdicts = try Spawned.run(["python3", "-c", forged, URL(fileURLWithPath: EvidenceTests.verifier).deletingLastPathComponent().path])
        #expect(verdicts.stdout == "ok\nok\nok\nok\n", "\(verdicts)")
        // The rewrite: re-hashed from entry 2 on, the covering checkpoints and head file gone.
        let db = rig.s.home + "/state.db"
        try rig.s.write("rechain.py", CheckpointTests.rechain)
        #expect(try Spawned.run(["python3", rig.s.path("rechain.py"), db]).status == 0)
        #expect(try Spawned.run(["sqlite3", db, "DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints"]).status == 0)
        try? FileManager.default.removeItem(atPath: rig.s.home + "/ledger.head")
        #expect(try rig.s.run(["--", "/bin/true"], env: local).status == 0)
        let resent = try rig.s.run(["audit", "checkpoint"], env: rig.requesterEnv)
        #expect(resent.status != 0 && resent.stderr.contains("does not extend the copy this server holds"), "\(resent)")
        let verify = try rig.s.run(["audit", "verify", "--from-server"], env: rig.requesterEnv)
        #expect(verify.status == 65, "\(verify)")
    }

    /// Finding 2: a registered requester sends the first copy for another host's ledger id,
    /// under a key it made up. The owner's copies are refused naming the squatter, and the
    /// owner's `verify --from-server` names who holds the ledger instead of "re-keyed".
    @Test func aSquattedLedgerIdNamesTheSquatter() throws {
        let rig = try RemoteRig(extraServerPolicy: "")
        // The owner's ledger id, before any copy of it reached the server.
        try rig.s.writePolicy("allow -- /bin/true\n", to: "local-policy")
        #expect(try rig.s.run(["--", "/bin/true"], env: ["GATE_POLICY": rig.s.path("local-policy")]).status == 0)
        let ledger = try rig.s.run(["audit", "verify"]).stdout.split(separator: "\n").first { $0.hasPrefix("ledger id ") }?
            .split(separator: " ")[2].trimmingCharacters(in: CharacterSet(charactersIn: ",")) ?? ""
        // The squatter: a second host (another state directory) registered as "squat", whose
        // database claims the owner's ledger id, with its own ledger key.
        let squatKey = try rig.s.run(["keygen", "--name", "squat", "--out", rig.s.path("squat.key"), "--no-passphrase"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let policy = try String(contentsOfFile: rig.stateDir + "/policy", encoding: .utf8)
        try rig.s.write("server/policy", policy + "requester squat key=\(squatKey)\n", mode: 0o600)
        let squatHome = rig.s.path("squat-home")
        let squatEnv = ["GATE_HOME": squatHome, "GATE_POLICY": rig.s.path("local-policy"), "GATE_SERVER": rig.url,
                        "GATE_REQUESTER_KEY": rig.s.path("squat.key")]
        #expect(try rig.s.run(["--", "/bin/true"], env: squatEnv).status == 0)
        #expect(try Spawned.run(["sqlite3", squatHome + "/state.db",
                                 "DROP TRIGGER meta_no_update; UPDATE meta SET value = '\(ledger)' WHERE name = 'ledger_id'"]).status == 0)
        try? FileManager.default.removeItem(atPath: squatHome + "/ledger.head")
        #expect(try Spawned.run(["sqlite3", squatHome + "/state.db", "DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints"]).status == 0)
        let squatted = try rig.s.run(["audit", "checkpoint"], env: squatEnv)
        #expect(squatted.status == 0, "\(squatted)")
        // The owner.
        let refused = try rig.s.run(["audit", "checkpoint"], env: rig.requesterEnv)
        #expect(refused.status != 0 && refused.stderr.contains("held on this server for requester squat"), "\(refused)")
        let verify = try rig.s.run(["audit", "verify", "--from-server"], env: rig.requesterEnv)
        #expect(verify.status == 65 && verify.stderr.contains("for requester squat") && verify.stderr.contains("claimed this ledger id") && !verify.stderr.contains("re-keyed"), "\(verify)")
    }

    /// Finding 5: a requester binds plan.txt (DROP TABLE users;) and has a context provider say
    /// something harmless. Approvers now see the bound file's own bytes, checked against the
    /// digest the run is bound to, and every provider output marked as the requester's word.
    @Test func approversSeeTheBoundFileNotOnlyWhatTheRequesterSaysOfIt() throws {
        let rig = try RemoteRig(rules: "context report -- /bin/echo \"SELECT count(*) FROM users; -- read-only report\"\nrequire 1 of sre context=report bind={1} -- /bin/cp ...\n")
        try rig.s.write("plan.txt", "DROP TABLE users;\n")
        let requester = try rig.request(["/bin/cp", rig.s.path("plan.txt"), rig.s.path("out.txt")])
        let id = try rig.waitForPending(requester)
        defer { requester.signal(SIGINT); _ = requester.finish() }
        let show = try rig.s.run(["show", id, "--no-pager"], env: rig.approverEnv("alice"))
        #expect(show.status == 0, "\(show)")
        #expect(show.stdout.contains("checked against the bound digest") && show.stdout.contains("DROP TABLE users;"), "\(show.stdout)")
        #expect(show.stdout.contains("gate cannot check this output against what will run"), "\(show.stdout)")
        let page = try rig.curl("/r/\(id.replacingOccurrences(of: "-", with: ""))")
        #expect(page.contains("DROP TABLE users;") && page.contains("checked against the bound digest"), "\(page)")
    }
}
