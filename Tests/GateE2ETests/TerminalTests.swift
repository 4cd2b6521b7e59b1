import Foundation
import Testing

/// gate in a real terminal (tmux): the child owns the terminal, Ctrl-C reaches it once, and
/// Ctrl-C while waiting for approval withdraws the request.
@Suite(.timeLimit(.minutes(2))) struct TerminalTests {
    final class Tmux {
        let socket = "gate-test-\(UUID().uuidString.prefix(8))"

        init(_ s: Sandbox) throws {
            let env = s.env.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
            try tmux(["new-session", "-d", "-s", "t", "-x", "160", "-y", "40", "env -i \(env) TERM=xterm bash --norc --noprofile"])
        }

        deinit { _ = try? tmux(["kill-server"]) }

        @discardableResult
        func tmux(_ args: [String]) throws -> String {
            try Spawned.run(["tmux", "-L", socket] + args).stdout
        }

        func type(_ text: String) throws { try tmux(["send-keys", "-t", "t", "-l", text]); try tmux(["send-keys", "-t", "t", "Enter"]) }
        func key(_ k: String) throws { try tmux(["send-keys", "-t", "t", k]) }
        func screen() throws -> String { try tmux(["capture-pane", "-t", "t", "-p"]) }

        func waitFor(_ text: String, timeout: TimeInterval = 20) throws -> String {
            let deadline = Date().addingTimeInterval(timeout)
            var last = ""
            while Date() < deadline {
                last = try screen()
                if last.contains(text) { return last }
                usleep(50_000)
            }
            Issue.record("screen never showed '\(text)':\n\(last)")
            return last
        }
    }

    @Test func childReadsTheTerminalAndCtrlCReachesItOnce() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- sh ...\n")
        let t = try Tmux(s)
        try t.type("\(Sandbox.binary) -- sh -c 'read -r line; echo \"got: $line\"'; echo EXIT=$?")
        try t.type("typed at the terminal")
        _ = try t.waitFor("\nEXIT=0")
        #expect(try t.screen().contains("got: typed at the terminal"))
        // The shell counts the SIGINTs it receives; the terminal delivers one, and gate must not
        // forward a second.
        try t.type("\(Sandbox.binary) -- sh -c 'n=0; trap \"n=\\$((n+1))\" INT; echo ready; sleep 3; echo count=$n'; echo EXIT=$?")
        _ = try t.waitFor("ready")
        usleep(200_000)
        try t.key("C-c")
        let screen = try t.waitFor("\nEXIT=")
        #expect(screen.contains("count=1"), "\(screen)")
    }

    @Test func ctrlCWhileWaitingWithdrawsTheRequest() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\ndefault require 1\n")
        let t = try Tmux(s)
        try t.type("\(Sandbox.binary) -- sh -c 'echo should not run'; echo EXIT=$?")
        _ = try t.waitFor("waiting for approval")
        try t.key("C-c")
        let screen = try t.waitFor("\nEXIT=")
        #expect(screen.contains("EXIT=75"), "\(screen)")
        #expect(screen.contains("gate: error: cancelled"))
        #expect(!screen.contains("\nshould not run"))
        #expect(try s.lastEntry().kind == "cancelled")
    }
}
