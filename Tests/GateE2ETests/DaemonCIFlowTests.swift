import Foundation
import Testing

/// Issue 15's approval checks and CI flow through the gate daemon: the daemon re-hashes what a
/// request bound before an approver can sign it (as the requester's file access), and files,
/// picks up and withdraws requests for the connecting user only.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: DaemonRig.isRoot, "needs root to make users and run the daemon"))
struct DaemonCIFlowTests {
    static let rules = "require 1 of sre bind={1} -- /bin/cat *\n"

    @Test func aPlanChangedBeforeApprovalCannotBeApprovedThroughTheDaemon() throws {
        let rig = try DaemonRig(Self.rules)
        #expect(try rig.plain(as: DaemonRig.agent, ["sh", "-c", "echo '0 to destroy' > plan"]).status == 0)
        let waiting = try rig.start(as: DaemonRig.agent, ["--timeout", "30s", "--", "/bin/cat", "plan"])
        let id = try rig.pendingID()
        #expect(try rig.plain(as: DaemonRig.agent, ["sh", "-c", "echo '17 to destroy' > plan"]).status == 0)
        let approve = try rig.approve(id)
        #expect(approve.status == 77 && approve.stderr.contains("the plan changed since the request"), "\(approve.stderr)")
        // A token submitted straight to the daemon is checked the same way.
        let answer = try rig.raw(as: DaemonRig.alice, "{\"op\":\"decide\",\"token\":\"\(try rig.aliceToken(for: id))\",\"review\":false}")
        #expect(answer.contains("\"exit\":77"), "\(answer)")
        #expect(try rig.log().contains("\"code\":\"intent-changed\""))
        waiting.signal(SIGINT)
        #expect(waiting.finish().status == 75)
        #expect(!(try rig.log().contains("\"kind\":\"started\"")))
    }

    @Test func fileNowRunLaterAndCancelThroughTheDaemon() throws {
        let rig = try DaemonRig(Self.rules)
        #expect(try rig.plain(as: DaemonRig.agent, ["sh", "-c", "echo 'the plan' > plan"]).status == 0)
        let filed = try rig.run(as: DaemonRig.agent, ["run", "--no-wait", "--", "/bin/cat", "plan"])
        #expect(filed.status == 75, "\(filed.stderr)")
        let id = filed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 9, "\(filed.stdout)")
        // Another user can neither see nor withdraw it.
        let other = try rig.run(as: DaemonRig.deploy, ["cancel", id])
        #expect(other.status == 77, "\(other.stderr)")
        #expect(try rig.run(as: DaemonRig.agent, ["status", id]).stdout.contains("pending"))
        #expect(try rig.approve(id).status == 0)
        let status = rig.s.path("work/status.json")
        let ran = try rig.run(as: DaemonRig.agent, ["run", "--request", id, "--json-status", status, "--", "/bin/cat", "plan"])
        #expect(ran.status == 0 && ran.stdout == "the plan\n", "\(ran.stderr)")
        // The worker's report reaches the client's --json-status file, as in local mode.
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: status))) as? [String: Any] ?? [:]
        #expect(report["outcome"] as? String == "ran" && report["exit_code"] as? Int == 0 && report["approvers"] as? [String] == ["alice"]
                && report["request_id"] as? String == id, "\(report)")
        // A second request, withdrawn by its requester.
        let second = try rig.run(as: DaemonRig.agent, ["run", "--no-wait", "--", "/bin/cat", "plan"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try rig.run(as: DaemonRig.agent, ["cancel", second]).status == 0)
        #expect(try rig.approve(second).status == 77)
    }
}
