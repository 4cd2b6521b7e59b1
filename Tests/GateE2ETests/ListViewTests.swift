import Foundation
import Testing

/// `gate list` shows what an approver can act on, newest first, with a header on a terminal;
/// `--watch` keeps it current; `gate whoami` says what is in force and why (issue 15).
@Suite(.timeLimit(.minutes(2))) struct ListViewTests {
    static func sandbox() throws -> Sandbox {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 -- touch ...\n")
        return s
    }

    @Test func theDefaultViewIsWhatAnApproverCanActOnNewestFirst() throws {
        let s = try Self.sandbox()
        let abandoned = try s.abandonedRequest(["touch", s.path("a")])
        let filed = try s.run(["run", "--no-wait", "--", "touch", s.path("b")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        usleep(10_000)
        let waiting = try s.start(["--", "touch", s.path("c")])
        defer { waiting.signal(SIGINT); _ = waiting.finish() }
        // The live request: the pending one that is not the --no-wait one (which is pending too).
        var live = ""
        for _ in 0..<400 where live.isEmpty {
            let list = try JSONSerialization.jsonObject(with: Data(try s.run(["list", "--json"]).stdout.utf8)) as? [[String: Any]] ?? []
            live = list.compactMap { $0["id"] as? String }.map(Sandbox.displayed).first { $0 != filed } ?? ""
            if live.isEmpty { usleep(20_000) }
        }
        let list = try s.run(["list"])
        let ids = list.stdout.split(separator: "\n").map { String($0.prefix(9)) }
        #expect(ids == [live, filed], "\(list.stdout)")
        #expect(list.stderr.contains("1 abandoned request") && list.stderr.contains("gate list --all"), "\(list.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(try s.run(["list", "--json"]).stdout.utf8)) as? [[String: Any]] ?? []
        #expect(json.map { Sandbox.displayed($0["id"] as? String ?? "") } == [live, filed])
        let all = try s.run(["list", "--all"]).stdout.split(separator: "\n").map { String($0.prefix(9)) }
        #expect(all == [live, filed, abandoned], "\(all)")
    }

    @Test func aTerminalGetsAHeader() throws {
        let s = try Self.sandbox()
        let filed = try s.run(["run", "--no-wait", "--", "touch", s.path("b")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let t = try TerminalTests.Tmux(s)
        try t.type("\(Sandbox.binary) list; echo EXIT=$?")
        let screen = try t.waitFor("\nEXIT=0")
        #expect(screen.contains("ID ") && screen.contains("REQUESTED") && screen.contains("COMMAND"), "\(screen)")
        #expect(screen.contains(filed))
        #expect(!(try s.run(["list"]).stdout.contains("REQUESTED")), "a pipe gets no header")
    }

    @Test func watchRedrawsWhenSomethingChanges() throws {
        let s = try Self.sandbox()
        let watcher = try s.start(["list", "--watch"])
        usleep(300_000)
        let filed = try s.run(["run", "--no-wait", "--", "touch", s.path("b")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var seen = ""
        for _ in 0..<100 {
            seen = (try? String(contentsOfFile: watcher.out, encoding: .utf8)) ?? ""
            if seen.contains(filed) { break }
            usleep(50_000)
        }
        #expect(seen.contains("no pending requests") && seen.contains(filed), "\(seen)")
        watcher.signal(SIGINT)
        #expect(watcher.finish().status == 0)
        #expect(try s.run(["list", "--watch", "--json"]).status == 64)
    }

    @Test func whoamiSaysWhatIsInForceAndWhy() throws {
        let s = try Self.sandbox()
        let me = try s.run(["whoami"], env: ["GATE_AGENT": "ci-bot", "GATE_KEY": s.path("bob.key")])
        #expect(me.status == 0, "\(me.stderr)")
        for needle in ["mode          local", "agent         ci-bot", "GATE_AGENT", "state         \(s.home)", "(GATE_HOME)",
                       "policy        \(s.policyPath)", "(GATE_POLICY)", "ok: 1 approvers", "key           \(s.path("bob.key"))",
                       "the policy's approver bob"] {
            #expect(me.stdout.contains(needle), "whoami lacks '\(needle)':\n\(me.stdout)")
        }
        let remote = try s.run(["whoami", "--json"], env: ["GATE_SERVER": "https://gate.example"])
        let json = try JSONSerialization.jsonObject(with: Data(remote.stdout.utf8)) as? [String: Any] ?? [:]
        #expect((json["mode"] as? [String: Any])?["value"] as? String == "remote")
        #expect((json["server"] as? [String: Any])?["value"] as? String == "https://gate.example")
        #expect(((json["requester_key"] as? [String: Any])?["note"] as? String ?? "").contains("missing"))
        try s.write("etc/policy", "version 1\nbogus line\n", mode: 0o600)
        let broken = try s.run(["whoami"])
        #expect(broken.status == 0 && broken.stdout.contains("refused:"), "\(broken.stdout)")
    }
}
