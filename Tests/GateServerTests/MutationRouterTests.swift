import Foundation
import GateCore
@testable import GateClient
import GateStore
import GateSystem
import GateServer
import GateWire
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 19, mutation 7: the server compares the intent a create statement names with the
/// intent in the body, not only the body's digest.
@Suite struct MutationRouterTests {
    @Test func aStatementSignedOverTheRealBodyButNamingAnotherIntentIsRefused() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        let app = try ServerApp.build(.init(port: 0, stateDirectory: rig.dir))
        let r = rig.record()
        let genuine = try RemoteClient.createBody(r, blobs: [], as: rig.ci1)
        let body = try Base64URL.decode(genuine["body"]!.stringValue!)
        // Correctly signed by a registered requester, over exactly these body bytes, but naming
        // the digest of another intent (one the approvers would then be shown for this id).
        let other = rig.record(["/bin/echo", "something else"]).digest.bytes
        let statement = try RemoteClient.sign(.create, request: r.id.compact, intent: other, body: body, as: rig.ci1)
        let forged: JSON = .object([("statement", .string(statement.text)), ("body", .string(Base64URL.encode(body)))])
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/requests", method: .post, body: RouterRig.buffer(forged)) {
                #expect($0.status.code == 400 && $0.json["code"] == .string("intent-mismatch"), "\($0.text)")
            }
            try await client.execute(uri: "/v1/requests/\(r.id.compact)", method: .get) { #expect($0.status == .notFound) }
            // The genuine one is accepted: the refusal was for the mismatch alone.
            try await client.execute(uri: "/v1/requests", method: .post, body: RouterRig.buffer(genuine)) { #expect($0.status == .created) }
        }
    }
}
