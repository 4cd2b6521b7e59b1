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
}
