import GateClient
import GateCore
import GateCrypto
import GateStore
import GateSystem
import GateViews
import GateWire
import Glibc

/// Local mode's notifications: when a request is filed, the requester's gate POSTs the same
/// payloads a gate server sends (SPEC.md §9.4) to `GATE_WEBHOOK` (JSON, signed with the key in
/// `GATE_WEBHOOK_SECRET`, a file of mode 0600, when set) and `GATE_SLACK_WEBHOOK` (a Slack
/// incoming webhook). Delivery happens in a child process, retried with backoff for about 15 s,
/// so the requester's wait starts at once and a dead receiver delays nothing (the child holds
/// none of the requester's descriptors, and says nothing). A convenience for people, not a
/// control: the requester's environment chooses it.
enum LocalNotify {
    struct Target {
        var url: String
        var slack: Bool
    }

    static func targets() -> [Target] {
        (System.envNonEmpty("GATE_WEBHOOK").map { [Target(url: $0, slack: false)] } ?? [])
            + (System.envNonEmpty("GATE_SLACK_WEBHOOK").map { [Target(url: $0, slack: true)] } ?? [])
    }

    static func announce(_ r: RequestRecord) {
        let hooks = targets()
        guard !hooks.isEmpty, !DaemonWorkerMode.active else { return }
        var secret: [UInt8]?
        if let file = System.envNonEmpty("GATE_WEBHOOK_SECRET") {
            guard let info = Files.info(file), info.isRegular else {
                System.write(2, "gate: warning: GATE_WEBHOOK_SECRET \(file) is not a regular file; not notifying\n")
                return
            }
            if info.mode & 0o077 != 0 {
                System.write(2, "gate: warning: GATE_WEBHOOK_SECRET \(file) is accessible by group or others; not notifying\n")
                return
            }
            guard let text = try? Files.readText(file, limit: 4096) else {
                System.write(2, "gate: warning: cannot read GATE_WEBHOOK_SECRET \(file); not notifying\n")
                return
            }
            secret = Array(text.trimmingASCIIWhitespace().utf8)
        }
        var bodies: [(Target, [UInt8])] = []
        for hook in hooks {
            var bytes: [UInt8] = []
            (hook.slack ? WebhookPayloads.createdSlack(r, publicURL: nil) : WebhookPayloads.created(r, publicURL: nil)).serialize(into: &bytes)
            bodies.append((hook, bytes))
        }
        let delivery = Hex.encode(SecureRandom.bytes(8)), request = r.id.compact
        // The child only sends: it holds no database, and ends by _exit.
        let pid = fork()
        guard pid == 0 else {
            if pid < 0 { System.write(2, "gate: warning: cannot start the notifier: \(System.errnoString(errno))\n") }
            return
        }
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE] { signal(sig, SIG_DFL) }
        // Nothing of the requester's: `id=$(gate run --no-wait …)` must not wait for this child
        // to let go of its output (it says nothing; a receiver that never answers is its problem).
        let null = open("/dev/null", O_RDWR)
        if null >= 0 { dup2(null, 0); dup2(null, 1); dup2(null, 2) }
        _ = setsid()
        for (hook, body) in bodies { deliver(body, to: hook, secret: secret, delivery: delivery, request: request) }
        _exit(0)
    }

    static func deliver(_ body: [UInt8], to hook: Target, secret: [UInt8]?, delivery: String, request: String) {
        let http: PlainHTTP
        do { http = try PlainHTTP(url: hook.url) } catch {
            System.write(2, "gate: warning: webhook \(hook.url): not an http(s) URL; not notified\n")
            return
        }
        var delayMs: UInt32 = 500
        for attempt in 1...5 {
            var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("X-Gate-Event", "request.created"),
                                                            ("X-Gate-Delivery", delivery)]
            if let secret {
                headers.append(("X-Gate-Signature", WebhookSignature.header(secret: secret, time: System.nowSeconds(), event: "request.created",
                                                                             delivery: delivery, body: body)))
            }
            var problem: String
            do {
                let response = try http.send("POST", "", body: body, headers: headers, timeoutMilliseconds: 10_000)
                if (200..<400).contains(response.status) { return }
                problem = "HTTP \(response.status)"
            } catch {
                problem = "\(error)"
            }
            if attempt == 5 { System.write(2, "gate: warning: webhook \(hook.url) for request \(request) failed 5 times: \(problem)\n") }
            usleep(delayMs * 1000)
            delayMs *= 2
        }
    }
}
