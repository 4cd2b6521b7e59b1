import Foundation
import Glibc
import Testing

/// `syslog local3` in the policy: one line per ledger event and per checkpoint, in syslog(3)'s
/// format, received here on a datagram socket standing in for /dev/log (debug builds read
/// GATE_SYSLOG_SOCKET; release builds always use /dev/log).
@Suite(.timeLimit(.minutes(3))) struct SyslogTests {
    final class Receiver {
        let fd: Int32
        let path: String
        init(_ path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                let p = Array(path.utf8)
                raw.copyBytes(from: p)
                raw[p.count] = 0
            }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            #expect(rc == 0)
        }
        deinit { close(fd); unlink(path) }

        /// Every datagram waiting now.
        func drain() -> [String] {
            var lines: [String] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n <= 0 { return lines }
                lines.append(String(decoding: buffer[0..<n], as: UTF8.self))
            }
        }
    }

    @Test func eachEventAndCheckpointIsOneLineAndTheCheckpointLineVerifies() throws {
        let s = try Sandbox()
        let receiver = try Receiver(s.path("log.sock"))
        let env = ["GATE_SYSLOG_SOCKET": receiver.path]
        try s.writePolicy("syslog local3\nallow -- true\ndeny -- false\n")
        #expect(try s.run(["--", "true"], env: env).status == 0)
        #expect(try s.run(["--", "false"], env: env).status == 77)
        let lines = receiver.drain()
        #expect(lines.count == 5, "\(lines)")  // started, finished, checkpoint; refused, checkpoint
        // <PRI> = local3 (19) * 8 + info (6) = 158, notice (5) for a refusal; then the time and gate[pid].
        let pattern = #/^<15[78]>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d gate\[\d+\]: /#
        for l in lines { #expect(l.contains(pattern), "\(l)") }
        #expect(lines[0].hasPrefix("<158>") && lines[0].contains(": started ") && lines[0].contains("(seq 1, hash "))
        #expect(lines[1].contains(": finished ") && lines[1].contains("exit 0"))
        #expect(lines[3].hasPrefix("<157>") && lines[3].contains(": refused ") && lines[3].contains("denied by policy"))
        #expect(lines[4].contains(": checkpoint gate checkpoint v1|ledger "))
        // The syslog copy of a checkpoint is one an auditor can verify against.
        try s.write("syslog.txt", lines[4] + "\n")
        let v = try s.run(["audit", "verify", "--checkpoint", s.path("syslog.txt")])
        #expect(v.status == 0, "\(v.stderr)")
        // …and it catches a tail removed afterwards, with the local checkpoints removed too.
        try EvidenceTests.sqlite(s.path("home/state.db"), """
            DROP TRIGGER ledger_no_delete; DELETE FROM ledger WHERE seq = 3;
            DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints WHERE size = 3;
            """)
        #expect(try s.run(["audit", "verify"]).status == 65)  // the head file remembers entry 3…
        try FileManager.default.removeItem(atPath: s.path("home/ledger.head"))
        #expect(try s.run(["audit", "verify"]).status == 0)  // …and without it the local copy alone cannot tell
        let cut = try s.run(["audit", "verify", "--checkpoint", s.path("syslog.txt")])
        #expect(cut.status == 65 && cut.stderr.contains("entry 3 was removed"), "\(cut.stderr)")
        // Without the policy line nothing is sent.
        try s.writePolicy("allow -- true\n")
        #expect(try s.run(["--", "true"], env: env).status == 0)
        #expect(receiver.drain().isEmpty)
    }

    @Test func aBadFacilityIsAPolicyError() throws {
        let s = try Sandbox()
        try s.writePolicy("syslog kern\nallow -- true\n")
        let r = try s.run(["--", "true"])
        #expect(r.status == 78 && r.stderr.contains("unknown syslog facility 'kern'"), "\(r.stderr)")
    }
}
