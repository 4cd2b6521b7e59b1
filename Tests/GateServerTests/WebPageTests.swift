import Foundation
import GateClient
import GateCore
import GateCrypto
import GateStore
import GateSystem
@testable import GateServer
import GateWire
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 15 item 16: the request page is something an approver can act on from anywhere. The
/// command it shows names the server (`GATE_SERVER=URL gate approve 7K3F-Q2XZ`), the id is in
/// its displayed form everywhere on the page, the rule is the requesting host's (and the
/// server's, each labelled: the server's policy also registers requesters, so its lines are
/// numbered differently), and a plan's diff lines are coloured as the terminal colours them.
@Suite struct WebPageTests {
    /// A terraform plan and a git diff, as a provider printed them, with their lines' classes as
    /// `gate show` colours them on a terminal (the first character after the indentation).
    static let plan: [(String, String?)] = [
        ("Terraform will perform the following actions:", nil),
        ("  # aws_s3_bucket.logs will be created", nil),
        ("  + resource \"aws_s3_bucket\" \"logs\" {", "add"),
        ("      + bucket = \"<logs & more>\"", "add"),
        ("    }", nil),
        ("  - resource \"aws_iam_role\" \"old\" {}", "del"),
        ("  ~ tags = {}", "chg"),
        ("-/+ resource \"aws_instance\" \"web\" {}", "del"),
        ("@@ -1,2 +1,2 @@", "hunk"),
        ("+++ b/main.tf", "add"),
        ("--- a/main.tf", "del"),
        ("Plan: 1 to add, 0 to change, 1 to destroy.", nil),
    ]

    /// A request for /bin/echo with the plan as its context, decided by the requester's host
    /// under its rule `line 4`.
    static func filed(_ rig: RouterRig) -> (RequestRecord, blob: (digest: [UInt8], data: [UInt8])) {
        let data = Array((plan.map(\.0).joined(separator: "\n") + "\n").utf8)
        let digest = BLAKE2b.hash(data)
        let intent = Intent(argv: ["/bin/echo", "apply"], executable: URL(fileURLWithPath: "/bin/echo").resolvingSymlinksInPath().path,
                            executableDigest: Array(repeating: 1, count: 32), cwd: "/", user: "root", uid: 0, agent: "", host: "ci-host",
                            shown: [Intent.ShownOutput(name: "plan", digest: digest)])
        var r = RequestRecord(id: RequestID(randomBytes: SecureRandom.bytes(5)), createdMicros: 0, intent: intent)
        r.rule = "line 4"
        r.context = .object([("environment", .array([])), ("providers", .array([.object([
            ("name", .string("plan")), ("argv", .array([.string("/usr/bin/terraform"), .string("show")])), ("status", .string("ok")),
            ("exit_code", .int(0)), ("bytes", .int(Int64(data.count))), ("truncated", .bool(false)), ("digest", .string(Hex.encode(digest))),
        ])]))])
        return (r, (digest, data))
    }

    @Test func theRequestPageSaysWhatToRunFromAnywhere() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        var config = ServerApp.Configuration(port: 0, stateDirectory: rig.dir)
        config.publicURL = "https://gate.example.com"
        let app = try ServerApp.build(config)
        let (r, blob) = Self.filed(rig)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/requests", method: .post,
                                     body: RouterRig.buffer(try RemoteClient.createBody(r, blobs: [blob], as: rig.ci1))) {
                #expect($0.status == .created, "\($0.text)")
            }
            for path in ["/r/\(r.id.compact)", "/r/\(r.id)", "/r/\(r.id.compact.lowercased().prefix(5))"] {
                try await client.execute(uri: path, method: .get) { response in
                    let page = response.text
                    #expect(response.status == .ok, "\(path): \(page)")
                    #expect(page.contains("GATE_SERVER=https://gate.example.com gate approve \(r.id)</code>"), "\(page)")
                    #expect(page.contains("GATE_SERVER=https://gate.example.com gate deny \(r.id) --reason"), "\(page)")
                    // One form of the id on the whole page: the one gate prints everywhere.
                    #expect(!page.contains(r.id.compact), "the compact id is on the page: \(page)")
                    #expect(page.contains("<title>gate request \(r.id)</title>") && page.contains("request     \(r.id)"), "\(page)")
                    // The requester's rule, and the server's (its policy registers requesters
                    // first: /bin/echo is its line 6), each said to be whose.
                    #expect(page.contains("rule        line 4 of the requesting host&#39;s policy (ci-host), line 6 of the gate server&#39;s; needs 1 approval"),
                            "\(page)")
                    for (line, cls) in Self.plan {
                        let escaped = WebPages.escape(line)
                        #expect(page.contains(cls.map { "<span class=\"\($0)\">\(escaped)</span>\n" } ?? "\n\(escaped)\n"), "\(cls ?? "plain"): \(line)\n\(page)")
                    }
                    #expect(page.contains("&quot;&lt;logs &amp; more&gt;&quot;") && !page.contains("<logs"), "\(page)")
                }
            }
        }
    }

    /// The colours come from the terminal's own renderer: only its SGR sequences become spans,
    /// and anything else that looks like one is shown as text.
    @Test func terminalColoursBecomeClassesAndNothingElse() {
        #expect(WebPages.htmlFromTerminal("\u{1b}[32m+ a <b>\u{1b}[0m\nplain & \u{1b}[1mhead\u{1b}[0m\n")
                == "<span class=\"add\">+ a &lt;b&gt;</span>\nplain &amp; <span class=\"head\">head</span>\n")
        #expect(WebPages.htmlFromTerminal("\u{1b}]0;title\u{7}x") .hasPrefix("\\x1b"))
        #expect(WebPages.htmlFromTerminal("\u{1b}[31mnot closed") == "<span class=\"del\">not closed</span>")
    }

    /// Without --public-url the page names the address the server bound; listening on every
    /// address, the host the viewer reached it by (a plain host[:port] only).
    @Test func withoutAPublicURLThePageNamesTheServerAsReached() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let bound = try ServerState(home: rig.dir, webhooks: [], publicURL: "http://127.0.0.1:0", publicURLConfigured: false)
        await bound.listening(host: "127.0.0.1", port: 8780)
        #expect(await bound.pageURL(hostHeader: "elsewhere:1") == "http://127.0.0.1:8780")
        let any = try ServerState(home: rig.dir, webhooks: [], publicURL: "http://0.0.0.0:0", publicURLConfigured: false)
        await any.listening(host: "0.0.0.0", port: 8780)
        #expect(await any.pageURL(hostHeader: "gate.internal:8780") == "http://gate.internal:8780")
        #expect(await any.pageURL(hostHeader: "x\"><script>") == "http://0.0.0.0:8780")
        let configured = try ServerState(home: rig.dir, webhooks: [], publicURL: "https://gate.example.com")
        await configured.listening(host: "0.0.0.0", port: 8780)
        #expect(await configured.pageURL(hostHeader: "gate.internal:8780") == "https://gate.example.com")
    }
}
