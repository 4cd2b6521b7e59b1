import Foundation
import Testing

/// What people see of a gate server besides the CLI: webhook deliveries (received by a small
/// local HTTP receiver) and the two web pages (HTML checked, and rendered by headless Chromium).
@Suite(.timeLimit(.minutes(3))) struct RemoteWebTests {
    @Test func newRequestsAreAnnouncedToWebhooksSignedAndRetried() throws {
        let s = try Sandbox()
        try s.write("hook.secret", "0123456789abcdef-webhook-secret\n", mode: 0o600)
        let log = s.path("hooks.jsonl")
        let (receiver, port) = try RemoteRig.startFixture("webhook_receiver.py", [log, s.path("hook.secret")])
        defer { receiver.signal(SIGKILL); _ = receiver.finish(timeout: 5) }
        let rig = try RemoteRig(serverArgs: ["--webhook", "http://127.0.0.1:\(port)/json", "--slack-webhook", "http://127.0.0.1:\(port)/slack",
                                             "--webhook", "http://127.0.0.1:\(port)/redirect",
                                             "--webhook-secret", s.path("hook.secret"), "--public-url", "https://gate.example.com"])
        let requester = try rig.request(["/bin/echo", "hooked"], extra: ["--reason", "deploy <b>&</b>"])
        let id = try rig.waitForPending(requester)
        let compact = id.replacingOccurrences(of: "-", with: "")
        var lines: [[String: Any]] = []
        for _ in 0..<300 {  // the first /json delivery fails (500); the retry comes ~0.5 s later
            lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            if lines.filter({ $0["path"] as? String == "/json" }).count >= 2 && lines.contains(where: { $0["path"] as? String == "/slack" })
                && lines.contains(where: { $0["path"] as? String == "/redirect" }) { break }
            usleep(20_000)
        }
        let json = lines.filter { $0["path"] as? String == "/json" }
        #expect(json.count == 2 && json[0]["status"] as? Int == 500 && json[1]["status"] as? Int == 200, "\(lines)")
        // A retry is the same delivery; another hook's is another.
        let delivery = json.first?["delivery"] as? String ?? ""
        #expect(delivery.count == 16 && json.last?["delivery"] as? String == delivery, "\(json)")
        #expect(lines.first { $0["path"] as? String == "/slack" }?["delivery"] as? String != delivery)
        // A redirect is not followed (nor retried): the body and its signature go nowhere else.
        #expect(lines.filter { $0["path"] as? String == "/redirect" }.count == 1, "\(lines)")
        #expect(!lines.contains { $0["path"] as? String == "/stolen" }, "\(lines)")
        let operatorLog = (try? String(contentsOfFile: rig.server!.err, encoding: .utf8)) ?? ""
        #expect(operatorLog.contains("/redirect for request \(compact) answered HTTP 307 (a redirect): not followed, not retried"), "\(operatorLog)")
        #expect(lines.allSatisfy { $0["mac_ok"] as? Bool == true && $0["event"] as? String == "request.created" }, "\(lines)")
        let generic = json.last?["body"] as? [String: Any] ?? [:]
        #expect(generic["id"] as? String == compact)
        #expect(generic["argv"] as? [String] == ["/bin/echo", "hooked"])
        #expect(generic["approve_command"] as? String == "gate approve \(compact)")
        #expect(generic["url"] as? String == "https://gate.example.com/r/\(compact)")
        #expect(generic["requires"] as? String == "1 of sre" && generic["reason"] as? String == "deploy <b>&</b>")
        let slack = lines.first { $0["path"] as? String == "/slack" }?["body"] as? [String: Any] ?? [:]
        let blocks = slack["blocks"] as? [[String: Any]] ?? []
        let text = blocks.compactMap { ($0["text"] as? [String: Any])?["text"] as? String }.joined(separator: "\n")
        #expect((slack["text"] as? String ?? "").contains("requests approval for /bin/echo hooked"), "\(slack)")
        #expect(text.contains("`gate approve \(compact)`") && text.contains("<https://gate.example.com/r/\(compact)|"), "\(text)")
        #expect(text.contains("deploy &lt;b&gt;&amp;&lt;/b&gt;"), "Slack mrkdwn is not escaped: \(text)")
        // The failed delivery is in the operator's log, one line, and did not hold the request up.
        let serverLog = (try? String(contentsOfFile: rig.server!.err, encoding: .utf8)) ?? ""
        #expect(serverLog.contains("gate-server: webhook http://127.0.0.1:\(port)/json for request \(compact) failed (attempt 1 of 5): HTTP 500"), "\(serverLog)")
        #expect(serverLog.contains("gate-server: requested \(id) by ci1"), "\(serverLog)")
        #expect(try rig.approve(id, as: "alice").status == 0)
        #expect(requester.finish().status == 0)
        // The decision is announced too.
        var decided: [[String: Any]] = []
        for _ in 0..<300 where decided.count < 2 {
            decided = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { $0["event"] as? String == "request.decided" }
            usleep(20_000)
        }
        let decidedJSON = decided.first { $0["path"] as? String == "/json" }?["body"] as? [String: Any] ?? [:]
        #expect(decidedJSON["approver"] as? String == "alice" && decidedJSON["decision"] as? String == "approve"
                && decidedJSON["status"] as? String == "approved" && decidedJSON["id"] as? String == compact, "\(decided)")
        let decidedSlack = decided.first { $0["path"] as? String == "/slack" }?["body"] as? [String: Any] ?? [:]
        #expect((decidedSlack["text"] as? String ?? "").contains("\(compact) approved by alice — request is now approved"), "\(decidedSlack)")
        #expect(decided.allSatisfy { $0["mac_ok"] as? Bool == true }, "\(decided)")
    }

    @Test func pagesShowTheRequestEscapedAndChromiumRendersThem() throws {
        let rig = try RemoteRig(rules: "context plan -- /usr/bin/printf \"+ added %s\\\\n- removed %s\\\\n\" bucket role\nrequire 1 of sre context=plan -- /bin/echo ...\n")
        let hostile = "<script>alert('x')</script>"
        let requester = try rig.request(["/bin/echo", hostile, "&amp;"])
        let id = try rig.waitForPending(requester)
        let compact = id.replacingOccurrences(of: "-", with: "")
        let index = try rig.curl("/")
        #expect(index.contains("200 OK") && index.contains("text/html") && index.contains("href=\"/r/\(compact)\""), "\(index)")
        let page = try rig.curl("/r/\(compact)")
        #expect(page.contains("Content-Security-Policy: default-src 'none'"), "\(page)")
        #expect(!page.contains("<script>") && page.contains("&lt;script&gt;alert("), "\(page)")
        #expect(page.contains("<span class=\"add\">+ added bucket</span>") && page.contains("<span class=\"del\">- removed role</span>"), "\(page)")
        #expect(page.contains("&amp;amp;"), "an entity in argv must stay text: \(page)")
        #expect(page.contains("decisions   none yet") && page.contains("1 of sre"), "\(page)")
        // The command works from any machine: it names the server (here the address it bound,
        // with no --public-url), and the id is the one gate prints, everywhere on the page.
        #expect(page.contains("GATE_SERVER=\(rig.url) gate approve \(id)</code>") && !page.contains(compact), "\(page)")
        // The rig's two policies number the rule differently (the server's registers ci1 first).
        #expect(page.contains("rule        line 7 of the requesting host&#39;s policy") && page.contains("line 8 of the gate server&#39;s"), "\(page)")
        #expect(page.contains("blake2b ") && page.contains("intent      "), "\(page)")
        #expect(try rig.curl("/r/ZZZZZZZZ").contains("404"))
        // Rendered as a browser would: a real PNG, made in the test run.
        let png = rig.s.path("request.png")
        let chromium = ["chromium", "chromium-browser"].first { name in
            (try? Spawned.run(["sh", "-c", "command -v \(name)"]))?.status == 0
        }
        try #require(chromium != nil, "chromium is not installed (scripts/test.sh installs Debian's chromium)")
        let shot = try Spawned.run([chromium!, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(rig.s.path("chromium"))",
                                    "--screenshot=\(png)", "--window-size=1200,900", "\(rig.url)/r/\(compact)"], env: rig.s.env.merging(["HOME": rig.s.root.path]) { $1 }, timeout: 90)
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: png))) ?? Data()
        #expect(bytes.count > 5000 && bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "no PNG: \(shot.stderr.suffix(2000))")
        requester.signal(SIGTERM)
        _ = requester.finish()
    }
}
