import Foundation
import Testing

/// gate-server's limits (issue 13): a connection that sends nothing, or a request head it never
/// finishes, is closed after the idle timeout; a long poll in flight is not idle and is answered.
@Suite(.timeLimit(.minutes(2))) struct ServerLimitsTests {
    @Test func stalledConnectionsAreClosedAndLongPollsAreNot() throws {
        let rig = try RemoteRig(serverArgs: ["--idle-timeout", "1"])
        // A client that sends half a request head and stalls: closed within a few seconds.
        let script = """
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.sendall(b"GET /v1/health HTTP/1.1\\r\\nHo")
            start = time.time(); s.settimeout(10)
            data = s.recv(100)
            print("closed" if data == b"" else "answered", round(time.time() - start, 1))
            """
        let stalled = try Spawned.run(["python3", "-c", script, String(rig.port)])
        let words = stalled.stdout.split(separator: " ")
        #expect(words.first == "closed" && (Double(words.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99) < 5, "\(stalled)")
        // A long poll of 3 s (longer than the idle timeout) is in flight, not idle: it is answered.
        let requester = try rig.request(["/bin/echo", "waiting"])
        let id = try rig.waitForPending(requester).replacingOccurrences(of: "-", with: "")
        let poll = try Spawned.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "\(rig.url)/v1/requests/\(id)/wait?seen=0&timeout=3"])
        #expect(poll.stdout == "200", "\(poll)")
        requester.signal(SIGINT)
        _ = requester.finish()
        // A client that stops mid-body is a bad request, not "too large" (the operator's log
        // blamed the size).
        let cut = """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.sendall(b"POST /v1/requests HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 1000\\r\\n\\r\\n{\\"statement\\":")
            s.shutdown(socket.SHUT_WR); s.settimeout(10)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk: break
                data += chunk
            print(data.split(b"\\r\\n")[0].decode(), "too-large" in data.decode(errors="replace"))
            """
        let answer = try Spawned.run(["python3", "-c", cut, String(rig.port)])
        #expect(answer.stdout.hasPrefix("HTTP/1.1 400") && !answer.stdout.contains("True"), "\(answer)")
    }

    /// A client that keeps sending, one byte at a time, is never idle: the head and the body each
    /// have a deadline of their own. Prints "closed SECONDS" or "answered".
    static let trickle = """
        import socket, sys, time
        port, what = int(sys.argv[1]), sys.argv[2]
        s = socket.create_connection(("127.0.0.1", port))
        if what == "head":
            data = b"GET /v1/health HTTP/1.1\\r\\nX-Slow: " + b"a" * 200
        else:
            s.sendall(b"POST /v1/checkpoints HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 200\\r\\n\\r\\n")
            data = b"x" * 200
        start = time.time()
        s.settimeout(0.3)
        for b in data:
            try:
                s.sendall(bytes([b]))
                got = s.recv(100)
                if got == b"" or time.time() - start > 15: break
            except socket.timeout:
                continue
            except OSError:
                break
        print("closed", round(time.time() - start, 1))
        """

    @Test(arguments: ["head", "body"]) func aTrickledRequestIsClosedAtItsDeadline(_ part: String) throws {
        let rig = try RemoteRig(serverArgs: ["--idle-timeout", "2", "--body-timeout", "2"])
        let r = try Spawned.run(["python3", "-c", Self.trickle, String(rig.port), part])
        let seconds = Double(r.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99
        #expect(r.stdout.hasPrefix("closed") && seconds < 5, "\(part): \(r)")
        // The server still answers others.
        #expect(try Spawned.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "\(rig.url)/v1/health"]).stdout == "200")
    }

    /// A body the server would not take is refused as soon as its head says so: a chunk size of
    /// FFFFFFFFFFFFFFFF used to get no answer at all.
    @Test func bodiesThatWillNotFitAreAnsweredAtOnce() throws {
        let rig = try RemoteRig()
        let script = """
            import socket, sys, time
            port = int(sys.argv[1])
            for head, body in [(b"Transfer-Encoding: chunked", b"FFFFFFFFFFFFFFFF\\r\\nabc"),
                               (b"Content-Length: 99999999999", b"abc"),
                               (b"Content-Length: 18446744073709551616", b"abc")]:
                s = socket.create_connection(("127.0.0.1", port)); s.settimeout(5)
                s.sendall(b"POST /v1/checkpoints HTTP/1.1\\r\\nHost: x\\r\\n" + head + b"\\r\\n\\r\\n" + body)
                try: print(s.recv(100).split(b"\\r\\n")[0].decode())
                except socket.timeout: print("no answer")
            """
        let r = try Spawned.run(["python3", "-c", script, String(rig.port)])
        #expect(r.stdout == "HTTP/1.1 411 Length Required\nHTTP/1.1 413 Payload Too Large\nHTTP/1.1 400 Bad Request\n", "\(r)")
    }

    /// At most --max-connections at once: the next is closed as it arrives and logged; once some
    /// end, new ones are served. After a flood of stalled connections drains, the server's
    /// memory comes back near where it was.
    @Test func connectionsAreCappedAndAFloodLeavesNoMemoryBehind() throws {
        let rig = try RemoteRig(serverArgs: ["--max-connections", "3000", "--idle-timeout", "2"])
        let pid = try #require(rig.server?.pid)
        func rss() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        let flood = """
            import socket, sys, time, resource
            resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
            port, n = int(sys.argv[1]), int(sys.argv[2])
            conns = []
            for i in range(n):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(b"POST /v1/requests HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100000\\r\\n\\r\\n" + b"x" * 60000)
                conns.append(s)
            closed = 0
            for s in conns:
                s.settimeout(0.2)
                try:
                    if s.recv(1) == b"": closed += 1
                except socket.timeout: pass
                except OSError: closed += 1
            print(closed)
            time.sleep(0.5)
            """
        _ = try Spawned.run(["curl", "-s", "\(rig.url)/v1/health"])
        let before = rss()
        let f = try Spawned.run(["sh", "-c", "ulimit -n 8192; python3 -c \"$0\" \"$@\"", flood, String(rig.port), "2500"])
        #expect(f.status == 0, "\(f)")
        // Every stalled connection is gone after the body deadline; the memory follows.
        let deadline = Date().addingTimeInterval(20)
        var after = rss()
        while after > before + 20_000, Date() < deadline { usleep(250_000); after = rss() }
        #expect(after <= before + 20_000, "RSS \(before) kB before the flood, \(after) kB after")

        let capped = try RemoteRig(serverArgs: ["--max-connections", "5"])
        let hold = """
            import socket, sys, time
            port = int(sys.argv[1])
            held = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
            time.sleep(0.3)
            extra = socket.create_connection(("127.0.0.1", port))
            extra.settimeout(5)
            try:
                extra.sendall(b"GET /v1/health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                print("refused" if extra.recv(100) == b"" else "served")
            except OSError:
                print("refused")
            for s in held: s.close()
            time.sleep(0.3)
            again = socket.create_connection(("127.0.0.1", port))
            again.sendall(b"GET /v1/health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            again.settimeout(5)
            print("served" if again.recv(100).startswith(b"HTTP/1.1 200") else "refused")
            """
        let h = try Spawned.run(["python3", "-c", hold, String(capped.port)])
        #expect(h.stdout == "refused\nserved\n", "\(h)")
        capped.server?.signal(SIGTERM)
        let log = capped.server?.finish().stderr ?? ""
        #expect(log.contains("connection limit reached (5 open)"), "\(log)")
    }
}
