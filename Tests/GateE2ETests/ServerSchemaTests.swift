import Foundation
import Testing

/// gate-server against its own description (issue 13): schemathesis (PyPI, installed by
/// scripts/python-tools.sh) reads `/v1/openapi.json` from a live server holding a pending
/// request and sends it generated and mutated requests, each response checked: no 5xx, every
/// status, content type, header and body as described, invalid input refused, undescribed
/// methods answered 405 with `Allow`. Left out: "positive data acceptance", since a body that
/// fits the schema is still an unsigned statement or token, which the server must refuse.
@Suite(.timeLimit(.minutes(3))) struct ServerSchemaTests {
    static let schemathesis = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build-tools/venv/bin/schemathesis").path

    @Test func theServerMatchesItsOpenAPIDescription() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.schemathesis) else {
            Issue.record("schemathesis is not installed: scripts/python-tools.sh (run by scripts/test.sh) installs it")
            return
        }
        // Long polls answered at once: the generated ones reach the pending request's wait.
        let rig = try RemoteRig(serverArgs: ["--max-wait", "0"])
        let requester = try rig.request(["/bin/echo", "described"])
        _ = try rig.waitForPending(requester)
        defer { requester.signal(SIGINT); _ = requester.finish() }
        let doc = try Spawned.run(["curl", "-s", "\(rig.url)/v1/openapi.json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(doc.stdout.utf8)) as? [String: Any]
        #expect((parsed?["paths"] as? [String: Any])?.count == 12)
        let run = try Spawned.run([Self.schemathesis, "run", "\(rig.url)/v1/openapi.json", "--checks", "all",
                                   "--exclude-checks", "positive_data_acceptance", "--max-examples", "40",
                                   "--generation-deterministic", "--no-color"],
                                  cwd: rig.s.path(""), timeout: 150)
        #expect(run.status == 0, "\(run.stdout.suffix(4000))")
        #expect(run.stdout.contains("passed"), "\(run.stdout.suffix(2000))")
    }
}
