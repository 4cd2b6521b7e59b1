import Foundation
import Testing

/// Issue 18, finding 4, the rest: a registered requester's large bodies are held in memory whole
/// (read, parsed, decoded), so the server admits them only within `--body-memory`, in total and
/// per requester, and answers 503 `busy` before reading a body that does not fit.
@Suite(.timeLimit(.minutes(2))) struct ServerBodyBudgetTests {
    @Test func aSecondLargeBodyFromOneRequesterIsBusyUntilTheFirstIsDone() throws {
        let rig = try RemoteRig(serverArgs: ["--body-memory", String(64 << 20)])  // 24 MiB a requester
        let first = try rig.caughtStatement(), second = try rig.caughtStatement(), third = try rig.caughtStatement()
        #expect(first.hasPrefix("gatereq1.") && second.hasPrefix("gatereq1.") && first != second)
        let upload = """
            import socket, sys, time
            port, first, second, third = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
            def head(statement, length):
                s = socket.create_connection(("127.0.0.1", port)); s.settimeout(5)
                s.sendall(b"POST /v1/requests HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\nGate-Statement: %s\\r\\n\\r\\n" % (length, statement.encode()))
                return s
            held = head(first, 20000000)
            held.sendall(b"{" + b" " * 65535)
            time.sleep(0.5)
            s = head(second, 20000000)
            try: print(s.recv(600).decode(errors="replace").split("\\r\\n\\r\\n")[0].replace("\\r\\n", " | "))
            except OSError as e: print("no answer", e)
            held.close()
            time.sleep(0.5)
            s = head(third, 70000)
            s.sendall(b"x" * 70000)
            try: print(s.recv(600).decode(errors="replace").split("\\r\\n")[0])
            except OSError as e: print("no answer", e)
            """
        let out = try Spawned.run(["python3", "-c", upload, String(rig.port), first, second, third], timeout: 60)
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(out)")
        #expect(lines.first?.hasPrefix("HTTP/1.1 503") == true && lines.first?.lowercased().contains("retry-after: 2") == true, "\(out.stdout)")
        // Once the first is gone its bytes are free again: the third (over 64 KiB, so it goes
        // through the budget too) is read, and refused for what it is, not for being busy.
        #expect(lines.last?.hasPrefix("HTTP/1.1 503") == false && lines.last?.hasPrefix("no answer") == false, "\(out.stdout)")
        let health = try rig.curl("/v1/health")
        #expect(health.contains("200 OK"), "\(health)")
    }

    /// A server that answers from a body's head (413 here) and closes before the body is all sent:
    /// the runner reads that answer and says it, rather than "cannot reach the gate server".
    @Test func anAnswerGivenBeforeTheBodyIsSentIsReadNotCalledUnreachable() throws {
        let rig = try RemoteRig(rules: "context big max=24M -- /usr/bin/head -c 15000000 /dev/zero\nrequire 1 of sre context=big -- /bin/echo ...\n")
        let r = try rig.s.run(["--timeout", "5s", "--", "/bin/echo", "big"], env: rig.requesterEnv)
        #expect(r.status != 0 && r.stderr.contains("the gate server refused") && r.stderr.contains("larger than"), "\(r.stderr)")
        #expect(!r.stderr.contains("cannot reach"), "\(r.stderr)")
    }

    /// A runner answered busy waits and sends its request again (a fresh statement each time),
    /// and it is filed once the server has room.
    @Test func aRunnerToldBusyTriesAgainAndIsFiled() throws {
        let rig = try RemoteRig(rules: "context big max=24M -- /usr/bin/head -c 5000000 /dev/zero\nrequire 1 of sre context=big -- /bin/echo ...\n",
                                serverArgs: ["--body-memory", String(64 << 20)])  // 24 MiB a requester
        let statement = try rig.caughtStatement()
        let hold = """
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.sendall(b"POST /v1/requests HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 20000000\\r\\nGate-Statement: %s\\r\\n\\r\\n" % sys.argv[2].encode())
            s.sendall(b"{" + b" " * 65535)
            print("holding", flush=True)
            time.sleep(4)
            s.close()
            """
        let holder = try Spawned.start(["python3", "-c", hold, String(rig.port), statement])
        for _ in 0..<200 where (try? String(contentsOfFile: holder.out, encoding: .utf8))?.contains("holding") != true { usleep(20_000) }
        let requester = try rig.request(["/bin/echo", "big"], timeout: "30s")
        // Filed once the held body is gone: the runner's own stderr says so.
        var filed = false
        for _ in 0..<1000 where !filed {
            filed = ((try? String(contentsOfFile: requester.err, encoding: .utf8)) ?? "").contains("approval required")
            usleep(25_000)
        }
        _ = holder.finish()
        requester.signal(SIGINT)
        let r = requester.finish()
        #expect(filed && r.stderr.contains("the gate server is busy receiving other requests; sending again"), "\(r.stderr)")
        #expect(r.stderr.contains("approval required") && r.stderr.contains("withdrawn"), "\(r.stderr)")
    }
}
