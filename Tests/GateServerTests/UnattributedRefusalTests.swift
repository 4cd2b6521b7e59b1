import Foundation
import GateCore
import GateClient
import GateStore
import GateSystem
import GateServer
import GateWire
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 18, finding 3: with no key at all, or one the server does not register, anyone could
/// grow the server's chained ledger by one ~2.7 KB `refused` entry a request, naming any request.
/// Now such refusals go to the operator's rate-limited log and a count in /v1/health; refusals
/// of what a registered key signed stay in the ledger.
@Suite struct UnattributedRefusalTests {
    @Test func writesNoKeyVouchesForLeaveTheLedgerAsItWas() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let r = rig.record()
        try await rig.withFiled(r) { client in
            let before = try await client.execute(uri: "/v1/health", method: .get) { $0.json["ledger_entries"]?.intValue ?? -1 }
            let decisions = "/v1/requests/\(r.id.compact)/decisions"
            for i in 0..<300 {
                // A stranger's request, a token that does not parse, a token by a key no approver
                // holds (naming a real request), a cancel by a stranger.
                let stranger = try RemoteClient.createBody(rig.record(["/bin/echo", "\(i)"]), blobs: [], as: rig.stranger)
                try await client.execute(uri: "/v1/requests", method: .post, body: RouterRig.buffer(stranger)) { #expect($0.status == .forbidden) }
                try await client.execute(uri: decisions, method: .post, body: ByteBuffer(string: "{\"token\":\"x\(i)\"}")) { #expect($0.status == .badRequest) }
                try await client.execute(uri: decisions, method: .post, body: RouterRig.buffer(try rig.token(r, by: rig.mallory))) { #expect($0.status == .forbidden) }
            }
            try await client.execute(uri: "/v1/health", method: .get) {
                #expect($0.json["ledger_entries"]?.intValue == before, "the ledger grew: \($0.text)")
                #expect($0.json["unattributed_refusals"]?.intValue == 900)
            }
            // A token an approver signed proves nothing about who posts it (tokens are listed):
            // alice's token for another intent is refused, and recorded against no one.
            try await client.execute(uri: decisions, method: .post, body: RouterRig.buffer(try rig.token(r, by: rig.alice, digest: Array(repeating: 9, count: 32)))) {
                #expect($0.status == .forbidden)
            }
            // What a fresh statement that verified in full asked for is evidence, and stays: ci1
            // asking for a command the policy denies. Sent again, it is a replay, and is not.
            let denied = RouterRig.buffer(try RemoteClient.createBody(rig.record(["/bin/rm", "-rf", "/"]), blobs: [], as: rig.ci1))
            try await client.execute(uri: "/v1/requests", method: .post, body: denied) { #expect($0.json["code"] == .string("policy-deny")) }
            try await client.execute(uri: "/v1/requests", method: .post, body: denied) {
                #expect($0.status == .forbidden && ($0.json["error"]?.stringValue ?? "").contains("already used"))
            }
            try await client.execute(uri: "/v1/health", method: .get) { #expect($0.json["ledger_entries"]?.intValue == before + 1) }
        }
        let store = try Store.open(GateEnvironment(home: rig.dir, policyPath: rig.dir + "/policy"))
        var refused: [String] = []
        try store.forEachLedgerEntry { e in
            if e.kind == "refused" { refused.append(e.actor) }
            return true
        }
        #expect(refused == ["ci1"], "\(refused)")
    }
}
