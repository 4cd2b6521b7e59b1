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

/// Attack round on issue 18: a registered requester could make the server keep ~24 MiB per
/// call in its chained ledger with first copies of made-up ledger ids padded with fields of its
/// own. A copy now holds only its three fields, a first copy no entries, one requester a bounded
/// number of ledgers and bytes.
@Suite struct CheckpointCopyLimitTests {
    @Test func copiesHoldOnlyWhatACopyIsAndWithinTheRequestersLimits() async throws {
        let rig = try RouterRig()
        defer { try? FileManager.default.removeItem(atPath: rig.dir) }
        var config = ServerApp.Configuration(port: 0, stateDirectory: rig.dir)
        config.copies.ledgersPerRequester = 2
        config.copies.quotaBytes = 3 << 10
        let app = try ServerApp.build(config)
        let ledgerKey = SigningIdentity.generate(name: "ledger")
        let chain = RouterTests.chain(3, actor: "ci")
        @Sendable func copy(_ ledger: String, size: Int64 = 1, extra: [(String, JSON)] = [], entries: [LedgerEntry] = []) throws -> JSON {
            let cp = try CheckpointSigning.sign(CheckpointBody(ledgerID: ledger, size: size, head: chain[Int(size) - 1].hash, timeMicros: 1_700_000_000_000_000),
                                                with: ledgerKey)
            var bytes: [UInt8] = []
            JSON.object([("checkpoint", .string(cp.text)), ("ledger_key", .string(ledgerKey.publicKey.text)),
                         ("entries", .array(entries.map(LedgerTransfer.encode)))] + extra).serialize(into: &bytes)
            let statement = try RemoteClient.sign(.checkpoint, request: ledger, intent: [UInt8](repeating: 0, count: 32), body: bytes, as: rig.ci1)
            return .object([("statement", .string(statement.text)), ("body", .string(Base64URL.encode(bytes)))])
        }
        try await app.test(.router) { client in
            func post(_ j: JSON) async throws -> (Int, String) {
                try await client.execute(uri: "/v1/checkpoints", method: .post, body: RouterRig.buffer(j)) { (Int($0.status.code), $0.json["code"]?.stringValue ?? "ok") }
            }
            let padded = try await post(try copy("00112233AABBCC01", extra: [("pad", .string(String(repeating: "A", count: 4000)))]))
            #expect(padded == (400, "bad-body"))
            #expect(try await post(try copy("00112233AABBCC01", entries: [chain[0]])) == (400, "bad-checkpoint"))
            #expect(try await post(try copy("00112233AABBCC01")) == (201, "ok"))
            #expect(try await post(try copy("00112233AABBCC02")) == (201, "ok"))
            #expect(try await post(try copy("00112233AABBCC03")) == (429, "over-quota"))
            // Bytes: what the stored copies carried (3 KiB here): the two first copies fit, an
            // extension with entries no longer does.
            let over = try await post(try copy("00112233AABBCC01", size: 3, entries: Array(chain[1...2])))
            #expect(over == (413, "over-quota"), "\(over)")
        }
    }
}
