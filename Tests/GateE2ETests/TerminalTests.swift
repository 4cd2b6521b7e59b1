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

        /// A terminal whose shell is `command` (e.g. a shell as another user).
        init(command: String) throws {
            try tmux(["new-session", "-d", "-s", "t", "-x", "160", "-y", "40", command])
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
        // (The count is printed through printf so that the typed line cannot satisfy the wait,
        // and the wait is for it, not for EXIT=, which the first command already left on screen.)
        try t.type("\(Sandbox.binary) -- sh -c 'n=0; trap \"n=\\$((n+1))\" INT; printf \"re%sdy\\\\n\" a; sleep 3; printf \"cou%st=%s\\\\n\" n $n'; echo EXIT=$?")
        _ = try t.waitFor("ready")
        usleep(200_000)
        try t.key("C-c")
        let screen = try t.waitFor("count=")
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

/// `gate show` in a real terminal: diff lines coloured, hostile output inert, colour off with
/// NO_COLOR, and long output through $PAGER.
@Suite(.timeLimit(.minutes(2))) struct ShowTerminalTests {
    @Test func diffsAreColouredOnATerminalAndLongOutputGoesThroughThePager() throws {
        let (s, env) = try ContextTests.terraformSandbox(extraPolicy: """
            context long -- seq 1 100
            require 1 context=plan context=long -- terraform apply *
            """)
        let (requester, id) = try ContextTests.request(s, env, ["terraform", "apply", "tfplan"])
        defer { _ = try? s.run(["deny", id, "--key", s.path("bob.key"), "--reason", "test over"]); _ = requester.finish() }
        let t = try TerminalTests.Tmux(s)
        let gate = Sandbox.binary
        // Long output (the 100-line provider) goes through $PAGER, run by sh as git does.
        // (Markers are computed by the shell so that the typed command line cannot match them.)
        try t.type("unset NO_COLOR; clear; PAGER='echo PAGER-$((6*7)); tail -n 3' \(gate) show \(id)")
        let paged = try t.waitFor("PAGER-42\n98\n99\n100")
        #expect(paged.contains("PAGER-42\n98\n99\n100"), "\(paged)")
        // On the terminal, removed lines are red and added ones green (tmux re-renders the
        // colours it was sent as its own SGR sequences); hostile output stays inert.
        try t.type("clear; \(gate) show \(id) --no-pager; echo shown-$((1+1))")
        _ = try t.waitFor("shown-2")
        let live = try t.tmux(["capture-pane", "-t", "t", "-p", "-e", "-S", "-300"])
        #expect(live.contains("\u{1b}[31m  - resource \"aws_db_instance\""), "no red removal line:\n\(live)")
        #expect(live.contains("\u{1b}[32m  + resource \"aws_s3_bucket\""), "no green addition line")
        #expect(live.contains("\\x1b[2J\\x1b]0;pwned\\x07"), "hostile output not shown inert")
        // Piped: no colour codes at all.
        try t.type("clear; \(gate) show \(id) --no-pager | grep -c $'\\e\\[3[123]m'; echo piped-$((1+1))")
        let piped = try t.waitFor("piped-2")
        #expect(piped.contains("0\npiped-2"), "piped output has colour codes:\n\(piped)")
        // NO_COLOR turns it off on a terminal too.
        try t.type("clear")
        try t.tmux(["clear-history", "-t", "t"])
        try t.type("NO_COLOR=1 \(gate) show \(id) --no-pager; echo nocolor-$((1+1))")
        _ = try t.waitFor("nocolor-2")
        let noColor = try t.tmux(["capture-pane", "-t", "t", "-p", "-e", "-S", "-300"])
        #expect(noColor.contains("  - resource \"aws_db_instance\"") && !noColor.contains("\u{1b}[31m  -"), "NO_COLOR ignored")
    }
}
