import Foundation
import Testing

/// A remote requester in a real terminal (tmux): the spinner runs while it long-polls (one
/// second at a time on a terminal), an approval from another process releases it, and Ctrl-C
/// withdraws the request on the server.
@Suite(.timeLimit(.minutes(2))) struct RemoteTerminalTests {
    @Test func spinnerApprovalAndCtrlCAgainstAServer() throws {
        let rig = try RemoteRig()
        rig.s.env.merge(rig.requesterEnv) { $1 }
        let t = try TerminalTests.Tmux(rig.s)
        // The marker is computed by the shell, so the typed line cannot satisfy the wait.
        try t.type("\(Sandbox.binary) -- /bin/echo approved-$((6*7)); echo EXIT=$?")
        _ = try t.waitFor("waiting for approval of")
        let id = try rig.waitForPending()
        #expect(try rig.approve(id, as: "alice").status == 0)
        let screen = try t.waitFor("\nEXIT=0")
        #expect(screen.contains("approved-42") && screen.contains("approved by alice; running"), "\(screen)")

        try t.type("clear; \(Sandbox.binary) -- /bin/echo never-$((6*7)); echo EXIT=$?")
        _ = try t.waitFor("waiting for approval of")
        let second = try rig.waitForPending()
        try t.key("C-c")
        let cancelled = try t.waitFor("\nEXIT=75")
        #expect(cancelled.contains("withdrawn") && !cancelled.contains("never-42"), "\(cancelled)")
        let late = try rig.approve(second, as: "alice")
        #expect(late.status == 77 && late.stderr.contains("cancelled, not pending"), "\(late.stderr)")
    }
}
